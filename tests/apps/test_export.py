"""apps.export.export_onnx: a trained run folder as an ONNX file that onnxruntime runs to the
same predictions as the run's model."""

import json

import numpy as np
import pytest

import chainrule as cr
from chainrule.apps import runs
from chainrule.apps.common import ConfigError
from chainrule.apps.export import export_onnx

ort = pytest.importorskip("onnxruntime")


def test_a_run_exports_to_onnx_that_predicts_as_the_run(tiny_run, tmp_path):
    path = tmp_path / "model.onnx"
    export_onnx(tiny_run, path, extra_outputs=["c1"])
    trained = runs.load_run(tiny_run, device="cpu")
    images = trained.images[:200].astype(np.float32)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    logits, c1 = session.run(None, {"input": images})
    with cr.no_grad():
        expected = trained.model(cr.tensor(images)).numpy()
    np.testing.assert_allclose(logits, expected, rtol=1e-5, atol=1e-5)
    assert c1.shape == (200, 6, 28, 28)


def test_a_folder_of_another_app_is_refused(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"corpus": "tiny.txt"}))
    with pytest.raises(ConfigError, match="char-lm run"):
        export_onnx(tmp_path, tmp_path / "model.onnx")
