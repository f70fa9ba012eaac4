"""A trained classifier's run folder as an ONNX file: what ``chainrule export RUN --onnx
out.onnx`` does (``chainrule.onnx.export`` on the rebuilt model, docs/onnx.md)."""

from ..data.folder import MissingDependencyError
from . import runs

__all__ = ["export_onnx"]


def export_onnx(run_dir, path, which="last", extra_outputs=(), data_dir=None):
    """Write the model of classifier run ``run_dir`` (checkpoint ``which``) to ``path`` as ONNX,
    with a symbolic batch and the input shape of the run's images (two test images of the
    data root ``data_dir``, default the run's, trace it); ``extra_outputs`` names modules
    whose activations become outputs too. Returns the ``onnx.ModelProto``."""
    try:
        from .. import onnx as cr_onnx
    except ImportError as error:
        raise MissingDependencyError(
            f"chainrule export --onnx needs the onnx package ({error}); "
            "install it with: pip install chainrule[onnx]"
        ) from None
    runs.require_kind(run_dir, "classifier", "chainrule export --onnx")
    trained = runs.load_run(run_dir, which, data_dir, device="cpu")
    example = trained.images[:2]
    return cr_onnx.export(trained.model, example, path, extra_outputs=extra_outputs)
