"""``chainrule serve``'s page in a real browser: headless Chromium (Debian's ``chromium``),
driven by Playwright, draws the strokes of 20 MNIST test digits on the canvas; for each, the
image the page sent must be laid out as MNIST's are, and the label the page shows must be
chainrule's prediction on that very image.

Skips, saying why, where Chromium or Playwright is missing (``.ci/run`` installs both). The
screenshot of the last digit goes to the test's temporary folder, and to ``docs/serve.png``
when ``CHAINRULE_SCREENSHOTS`` names a folder (how the documentation's picture is made).
"""

import os
import threading
from pathlib import Path

import numpy as np
import pytest

import chainrule as cr
from chainrule.apps import serve as serve_app
from chainrule.data import MNIST
from chainrule.data.mnist import MNIST_MEAN, MNIST_STD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DIGITS = 20
INK = 0.5  # digit pixels at least this dark are traced
# the page has answered its latest drawing
SETTLED = (
    "window.digitPage.answeredVersion === window.digitPage.version"
    " && window.digitPage.lastAnswer !== null"
)


@pytest.fixture(scope="module")
def browser_page(tmp_path_factory):
    """A fresh Chromium page (its own user-data-dir), or a skip naming what is missing."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} not found: apt-get install -y chromium (as .ci/run does)")
    playwright_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright not installed: pip install playwright"
    )
    with playwright_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1280, "height": 1000},
        )
        yield context.new_page()
        context.close()


@pytest.fixture(scope="module")
def server(tiny_run):
    server = serve_app.make_server(tiny_run, port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def pen_strokes(digit):
    """Horizontal pen strokes that trace the ink of a (28, 28) digit in [0, 1]: one stroke per
    run of ink in each pair of rows (the pen is about two digit pixels wide), as (y, first x,
    last x) in digit pixels."""
    strokes = []
    row_pairs = np.maximum(digit[0::2], digit[1::2]) >= INK
    for pair, inked in enumerate(row_pairs):
        columns = np.flatnonzero(inked)
        if len(columns) == 0:
            continue
        breaks = np.flatnonzero(np.diff(columns) > 1)
        starts = np.concatenate([[columns[0]], columns[breaks + 1]])
        ends = np.concatenate([columns[breaks], [columns[-1]]])
        strokes += [(2 * pair + 1, s + 0.5, e + 0.5) for s, e in zip(starts, ends)]
    return strokes


def draw(page, digit):
    """Clear the pad, then trace ``digit`` with the mouse, stroke by stroke."""
    page.click("#clear")
    box = page.locator("#pad").bounding_box()
    scale = box["width"] / 28

    def point(x, y):
        return box["x"] + x * scale, box["y"] + y * scale

    for y, first, last in pen_strokes(digit):
        page.mouse.move(*point(first, y))
        page.mouse.down()
        page.mouse.move(*point(last, y))
        page.mouse.up()


def assert_rasterised_as_mnist(image):
    """MNIST's layout: the ink's longer side about 20 pixels (the box plus the anti-aliased
    edge) and its centre of mass at the centre of the 28×28 image (pixel 13.5, 13.5)."""
    rows, columns = np.nonzero(image)
    longer_side = max(np.ptp(rows), np.ptp(columns)) + 1
    assert 20 <= longer_side <= 22
    y, x = np.indices(image.shape)
    centre = (image * y).sum() / image.sum(), (image * x).sum() / image.sum()
    np.testing.assert_allclose(centre, (13.5, 13.5), atol=0.25)
    assert 0 <= image.min() and image.max() <= 1


def chainrule_prediction(model, pixels):
    """What the run's model predicts for (28, 28) pixels in [0, 1], normalised as the run does."""
    with cr.no_grad():
        output = model((cr.tensor(pixels[None, None]) - MNIST_MEAN) / MNIST_STD)
    return int(model.predict(output)[0])


def test_drawn_digits_are_labelled_as_chainrule_predicts(browser_page, server, data_root, tmp_path):
    page = browser_page
    page.goto(server.url)
    page.wait_for_function("document.getElementById('run').textContent.includes('lenet5')")
    model = server.RequestHandlerClass.page.model
    mnist = MNIST(data_root, train=False)
    labels, predictions = [], []
    for index in range(DIGITS):
        digit, label = mnist[index]
        draw(page, digit / 255)
        page.wait_for_function(SETTLED)
        sent = np.array(page.evaluate("window.digitPage.lastImage"), dtype=np.float32)
        assert_rasterised_as_mnist(sent.reshape(28, 28))
        shown = int(page.inner_text("#predicted"))
        assert shown == chainrule_prediction(model, sent.reshape(28, 28)), f"test digit {index}"
        assert page.locator("#layers tr").count() > 0
        labels.append(int(label))
        predictions.append(shown)
    matches = sum(p == t for p, t in zip(predictions, labels))
    assert matches >= DIGITS // 2, f"only {matches} of {DIGITS} traced digits read as their label"
    page.screenshot(path=str(tmp_path / "serve.png"), full_page=True)
    if os.environ.get("CHAINRULE_SCREENSHOTS"):
        save_small_png(tmp_path / "serve.png", Path(os.environ["CHAINRULE_SCREENSHOTS"]))


def save_small_png(screenshot, folder):
    """The screenshot with its colours reduced to 128 (a third of the bytes), into ``folder``."""
    from PIL import Image

    with Image.open(screenshot) as image:
        small = image.convert("RGB").quantize(colors=128, method=Image.Quantize.MEDIANCUT)
    small.save(folder / screenshot.name, optimize=True)


def test_an_empty_canvas_is_a_message_in_the_page(browser_page, server):
    page = browser_page
    page.goto(server.url)
    page.click("#clear")
    page.wait_for_function("window.digitPage.answeredVersion === window.digitPage.version")
    assert page.inner_text("#message") == "The canvas is empty: draw a digit."
    assert page.inner_text("#predicted") == "–"


def test_a_picked_label_gets_its_backward_pass(browser_page, server, data_root):
    page = browser_page
    page.goto(server.url)
    draw(page, MNIST(data_root, train=False)[0][0] / 255)
    page.wait_for_function(SETTLED)
    page.click("#labels button[data-label='3']")
    page.wait_for_function(SETTLED + " && window.digitPage.lastAnswer.label === 3")
    assert "backward for label 3" in page.inner_text("#loss")
    assert page.locator("#labels button.chosen").inner_text() == "3"
