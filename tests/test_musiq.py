"""wmbench's MUSIQ transcription equals pyiqa 0.1.16's MUSIQ on identical random weights: the
state dict loads strictly both ways and the scores agree on images of odd sizes (the "same"
padding, the multi-scale patching and the original-resolution scale all exercised)."""

from __future__ import annotations

import pytest
import torch

from wmbench.evaluators.musiq import MUSIQ

pyiqa_musiq = pytest.importorskip("pyiqa.archs.musiq_arch")
SMALL = {"hidden_size": 64, "mlp_dim": 96, "num_heads": 4, "num_layers": 2}


@pytest.mark.parametrize("num_class", [1, 10])
def test_the_transcription_scores_as_pyiqa_does(num_class):
    torch.manual_seed(0)
    theirs = pyiqa_musiq.MUSIQ(pretrained=False, num_class=num_class, **SMALL).eval()
    with torch.no_grad():  # pyiqa's init leaves some tensors at 0: draw every one
        for parameter in theirs.parameters():
            parameter.copy_(torch.randn_like(parameter) * 0.1)
    ours = MUSIQ(num_class=num_class, **SMALL).eval()
    ours.load_state_dict(theirs.state_dict(), strict=True)
    assert set(ours.state_dict()) == set(theirs.state_dict())
    images = torch.rand(2, 3, 70, 53, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        expected, found = theirs(images), ours(images)
    assert found.shape == expected.shape == (2, 1)
    torch.testing.assert_close(found, expected, rtol=1e-5, atol=1e-5)
    assert expected.std() > 0  # the two images score differently: the check can fail
