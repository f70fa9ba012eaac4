"""``chainrule export RUN --web DIR``: the page of ``chainrule serve`` without a server — the
forward pass only, run in the browser by ONNX Runtime Web on the run's model exported to ONNX.

``DIR`` gets ``index.html`` (``page/static.html``), the page's scripts (``page/pad.js``, the
drawing pad and rasteriser shared with the served page, and ``page/static.js``), its style,
and two data scripts that let the page work from a ``file://`` address, where a browser
fetches nothing:

- ``model.js``: ``RUN`` (the run, its input normalisation, the layers whose outputs the graph
  also returns, the name of the last layer) and ``MODEL_BASE64``, the ONNX model
  (``chainrule.onnx``, opset 17, the outputs of every layer called once as extra outputs);
- ``onnxruntime.js``: ONNX Runtime Web's WebAssembly and loader as text, beside its
  ``ort.wasm.min.js``.

ONNX Runtime Web comes from the npm registry when the page is written (``npm pack``, once: the
package is kept in ``~/.cache/chainrule/npm``), never from a CDN when it is viewed.
"""

import base64
import json
import shutil
import subprocess
import tarfile
from pathlib import Path

from ..data.download import cache_dir
from ..data.folder import MissingDependencyError
from ..errors import ChainruleError
from ..viz.features import feature_maps
from .serve import PAGE_DIR, PASS_THROUGH, DigitPage

__all__ = ["ONNXRUNTIME_WEB", "WebExportError", "export_web"]

ONNXRUNTIME_WEB = ("onnxruntime-web", "1.31.1")
# The files of the package the page uses: the runtime, its WebAssembly loader and binary.
RUNTIME_FILES = ("ort.wasm.min.js", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm")
# The newest ONNX IR version ONNX Runtime Web 1.31 reads (the onnx package writes newer ones;
# an opset-17 graph uses nothing the newer versions added).
RUNTIME_IR_VERSION = 13
PAGE_FILES = {"static.html": "index.html", "static.js": "static.js", "pad.js": "pad.js"}


class WebExportError(ChainruleError, OSError):
    """ONNX Runtime Web could not be fetched from the npm registry."""


def export_web(run_dir, out_dir, data_dir=None, checkpoint="last"):
    """Write the offline page of classifier run ``run_dir`` (its checkpoint ``checkpoint``)
    into the folder ``out_dir`` (made if missing); returns the path of its ``index.html``."""
    try:
        from .. import onnx as cr_onnx
    except ImportError as error:
        raise MissingDependencyError(
            f"chainrule export --web needs the onnx package ({error}); "
            "install it with: pip install chainrule[onnx]"
        ) from None
    digit_page = DigitPage(run_dir, data_dir, checkpoint)
    model, example = digit_page.model, digit_page.trained.images[:1]
    *layers, output_layer = layers_called_once(model, example)  # the last is the graph's output
    proto = cr_onnx.to_model(model, example, extra_outputs=layers)
    proto.ir_version = min(proto.ir_version, RUNTIME_IR_VERSION)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    run = {
        **digit_page.describe(),
        "mean": digit_page.mean,
        "std": digit_page.std,
        "layers": layers,
        "output_layer": output_layer,
    }
    _write_script(out / "model.js", RUN=run, MODEL_BASE64=_base64(proto.SerializeToString()))
    runtime = _runtime_files()
    _write_script(
        out / "onnxruntime.js",
        ORT_MJS=runtime["ort-wasm-simd-threaded.mjs"].decode("utf-8"),
        ORT_WASM_BASE64=_base64(runtime["ort-wasm-simd-threaded.wasm"]),
    )
    (out / "ort.wasm.min.js").write_bytes(runtime["ort.wasm.min.js"])
    for source, target in PAGE_FILES.items():
        shutil.copyfile(PAGE_DIR / source, out / target)
    shutil.copyfile(PAGE_DIR / "style.css", out / "style.css")
    return out / "index.html"


def layers_called_once(model, example):
    """Names of the leaf modules that run once in a forward pass of ``example``, in the order
    they run, without the pass-through ones (Flatten, Dropout): the outputs the page draws.
    A module called several times (LeNet-5's shared activation) has no single output."""
    modules = dict(model.named_modules())
    names = [name for name, _ in feature_maps(model, example)]
    return tuple(
        name
        for name in dict.fromkeys(names)
        if names.count(name) == 1 and not isinstance(modules[name], PASS_THROUGH)
    )


def _runtime_files():
    """{file name: bytes} of ``RUNTIME_FILES`` from the onnxruntime-web package, fetched once
    with ``npm pack`` into the cache."""
    name, version = ONNXRUNTIME_WEB
    folder = cache_dir() / "npm"
    package = folder / f"{name}-{version}.tgz"
    if not package.is_file():
        _npm_pack(f"{name}@{version}", folder)
    with tarfile.open(package) as archive:
        return {file: archive.extractfile(f"package/dist/{file}").read() for file in RUNTIME_FILES}


def _npm_pack(spec, folder):
    npm = shutil.which("npm")
    if npm is None:
        raise MissingDependencyError(
            f"chainrule export --web fetches {spec} from the npm registry once and needs npm "
            "for that; install Node.js with npm"
        )
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [npm, "pack", spec, "--pack-destination", str(folder)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        last_line = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise WebExportError(f"npm pack {spec} failed: {last_line}")


def _base64(data):
    return base64.b64encode(data).decode("ascii")


def _write_script(path, **constants):
    """A script of ``const NAME = <JSON>;`` lines."""
    lines = [f"const {name} = {json.dumps(value)};" for name, value in constants.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
