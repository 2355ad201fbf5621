"""Control compilers: one camera path to each published baseline's native control, with the
path that control actually expresses and its error against the request."""

from wmbench.models.controls.record import (
    CompiledControl,
    Ignored,
    NativeControl,
    PathError,
    Scale,
)

__all__ = ["CompiledControl", "Ignored", "NativeControl", "PathError", "Scale"]
