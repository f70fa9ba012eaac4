"""``chainrule export RUN --web DIR``'s page, opened from a ``file://`` address (no server) in
headless Chromium driven by Playwright: for 20 traced MNIST test digits, the class scores
ONNX Runtime Web computes equal chainrule's on the image the page rasterised, and the label
the page shows is chainrule's prediction.

Skips, saying why, where Chromium, Playwright, the onnx package or npm (which fetches
onnxruntime-web once) is missing. ``CHAINRULE_SCREENSHOTS`` works as in the served page's test.
"""

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

import chainrule as cr
from chainrule.apps import runs
from chainrule.data import MNIST
from chainrule.data.mnist import MNIST_MEAN, MNIST_STD
from tests.apps.test_serve_browser import (  # noqa: F401  (browser_page: a fixture)
    SETTLED,
    assert_rasterised_as_mnist,
    browser_page,
    draw,
    save_small_png,
)

DIGITS = 20


@pytest.fixture(scope="module")
def static_page(tiny_run, tmp_path_factory):
    """The offline page of the tiny LeNet-5 run, written by ``export_web``."""
    pytest.importorskip("onnx", reason="the onnx package is missing: pip install chainrule[onnx]")
    if shutil.which("npm") is None:
        pytest.skip("npm not found: chainrule export --web fetches onnxruntime-web with it")
    from chainrule.apps.static_page import export_web

    return export_web(tiny_run, tmp_path_factory.mktemp("web"))


def test_the_page_lists_what_it_needs_and_nothing_from_a_cdn(static_page):
    folder = static_page.parent
    names = {"index.html", "pad.js", "static.js", "style.css", "model.js", "onnxruntime.js"}
    assert names | {"ort.wasm.min.js"} == {path.name for path in folder.iterdir()}
    html = static_page.read_text()
    assert "http://" not in html and "https://" not in html


def test_drawn_digits_get_chainrules_scores_without_a_server(
    browser_page,  # noqa: F811  (the fixture imported above)
    static_page,
    tiny_run,
    data_root,
    tmp_path,
):
    model = runs.load_run(tiny_run).model
    page = browser_page
    page.goto(static_page.as_uri())
    page.wait_for_function("document.getElementById('message').textContent !== ''")
    assert page.inner_text("#message") == "Draw a digit with the mouse or a finger."
    mnist = MNIST(data_root, train=False)
    for index in range(DIGITS):
        draw(page, mnist[index][0] / 255)
        page.wait_for_function(SETTLED)
        sent = np.array(page.evaluate("window.digitPage.lastImage"), dtype=np.float32)
        assert_rasterised_as_mnist(sent.reshape(28, 28))
        scores = np.array(page.evaluate("Array.from(window.digitPage.lastAnswer.scores)"))
        with cr.no_grad():
            output = model((cr.tensor(sent.reshape(1, 1, 28, 28)) - MNIST_MEAN) / MNIST_STD)
        np.testing.assert_allclose(scores, output.data[0], rtol=1e-4, atol=1e-4)
        shown = int(page.inner_text("#predicted"))
        assert shown == int(model.predict(output)[0]), f"test digit {index}"
    assert page.locator("#layers tr").count() == 8  # input_map, c1 … f6, output
    page.screenshot(path=str(tmp_path / "serve-static.png"), full_page=True)
    if os.environ.get("CHAINRULE_SCREENSHOTS"):
        save_small_png(tmp_path / "serve-static.png", Path(os.environ["CHAINRULE_SCREENSHOTS"]))


def test_without_npm_and_no_cached_runtime_the_export_is_one_sentence(
    tiny_run, tmp_path, monkeypatch
):
    pytest.importorskip("onnx", reason="the onnx package is missing: pip install chainrule[onnx]")
    from chainrule.apps import static_page as static_app
    from chainrule.data.folder import MissingDependencyError

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "empty-cache"))
    monkeypatch.setattr(static_app.shutil, "which", lambda name: None)
    with pytest.raises(MissingDependencyError, match="fetches onnxruntime-web@1.31.1 from the npm"):
        static_app.export_web(tiny_run, tmp_path / "web")
