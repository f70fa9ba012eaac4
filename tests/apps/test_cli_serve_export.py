"""``chainrule serve`` and ``chainrule export`` through main(): the ONNX file onnxruntime runs,
the page a real process serves, and each mistake as one sentence with exit code 2."""

import json
import os
import shutil
import socket
import subprocess
import sys
import urllib.request

import numpy as np
import pytest

import chainrule as cr
from chainrule.apps import runs
from chainrule.cli import EXIT_USAGE, main


def test_export_onnx_writes_a_graph_onnxruntime_runs_as_the_run(tiny_run, tmp_path, capsys):
    ort = pytest.importorskip("onnxruntime")
    path = tmp_path / "lenet5.onnx"
    assert main(["export", str(tiny_run), "--onnx", str(path), "--checkpoint", "best"]) == 0
    assert capsys.readouterr().out.startswith(f"{tiny_run} written to {path} (opset 17, ")
    trained = runs.load_run(tiny_run, "best", device="cpu")
    images = trained.images[:50].astype(np.float32)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (logits,) = session.run(None, {"input": images})
    with cr.no_grad():
        expected = trained.model(cr.tensor(images)).numpy()
    np.testing.assert_allclose(logits, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    "extra, fragment",
    [
        ([], "one of the arguments --onnx --web is required"),
        (["--onnx", "a.onnx", "--web", "page"], "not allowed with argument"),
    ],
)
def test_export_needs_exactly_one_target(tiny_run, extra, fragment, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["export", str(tiny_run), *extra])
    assert stop.value.code == EXIT_USAGE
    assert fragment in capsys.readouterr().err


def test_export_mistakes_are_one_sentence(tiny_run, tmp_path, capsys):
    (tmp_path / "char-lm").mkdir()
    (tmp_path / "char-lm" / "config.json").write_text(json.dumps({"corpus": "tiny.txt"}))
    page_file = tmp_path / "page.html"
    page_file.write_text("mine")
    cases = [
        (["export", str(tiny_run), "--onnx", str(tmp_path)], "is a folder; give a file's path"),
        (["export", str(tiny_run), "--web", str(page_file)], "is a file; give a folder's path"),
        (
            ["export", str(tmp_path / "char-lm"), "--onnx", str(tmp_path / "m.onnx")],
            "is a char-lm run, which chainrule export --onnx cannot read",
        ),
    ]
    for argv, fragment in cases:
        assert main(argv) == EXIT_USAGE
        err = capsys.readouterr().err.strip()
        assert err.startswith("chainrule: error: ") and fragment in err and "\n" not in err
    assert page_file.read_text() == "mine"


def test_serve_refuses_a_port_in_use_and_a_bad_port(tiny_run, capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", str(tiny_run), "--port", str(port)]) == EXIT_USAGE
    assert f"port {port} on 127.0.0.1 is in use; choose another with --port" in (
        capsys.readouterr().err
    )
    with pytest.raises(SystemExit) as stop:
        main(["serve", str(tiny_run), "--port", "70000"])
    assert stop.value.code == EXIT_USAGE
    assert "must be a port number from 0 to 65535" in capsys.readouterr().err


def test_the_serve_command_prints_its_url_and_answers(tiny_run, data_root):
    process = subprocess.Popen(
        [sys.executable, "-m", "chainrule", "serve", str(tiny_run), "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "CHAINRULE_DATA": data_root},
    )
    try:
        line = process.stdout.readline()
        assert line.startswith(f"chainrule serve: {tiny_run} at http://127.0.0.1:")
        url = line.split(" at ")[1].split()[0]
        with urllib.request.urlopen(url + "api/run") as response:
            assert json.loads(response.read())["model"] == "lenet5"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_export_web_writes_the_page_folder(tiny_run, tmp_path, capsys):
    pytest.importorskip("onnx", reason="the onnx package is missing: pip install chainrule[onnx]")
    if shutil.which("npm") is None:
        pytest.skip("npm not found: chainrule export --web fetches onnxruntime-web with it")
    folder = tmp_path / "page"
    assert main(["export", str(tiny_run), "--web", str(folder)]) == 0
    index = folder / "index.html"
    assert capsys.readouterr().out.strip().endswith(f"open {index} in a browser")
    written = {path.name for path in folder.iterdir()}
    assert {"index.html", "model.js", "onnxruntime.js", "static.js", "pad.js"} <= written
