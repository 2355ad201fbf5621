"""Functions the evaluators share, apart from the evaluator classes (torchmetrics' split of
``functional`` from its metric classes): one module per purpose."""
