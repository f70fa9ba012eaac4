"""``chainrule serve``'s server: real HTTP requests to a server started on a free port, on tiny
trained runs (LeNet-5 modern and classic, the MLP), checked against the model run directly,
the loss's gradient by hand, and finite differences."""

import dataclasses
import http.client
import json
import os
import subprocess
import sys
import threading
import urllib.error
import urllib.request

import numpy as np
import pytest

import chainrule as cr
from chainrule import functional as F
from chainrule.apps import serve as serve_app
from chainrule.apps.classify import RunConfig
from chainrule.apps.common import ConfigError
from chainrule.data import MNIST
from chainrule.data.mnist import MNIST_MEAN, MNIST_STD
from chainrule.models.lenet5 import MAP_J

DIGITS = (0, 1, 2, 3, 4)  # indices of MNIST test digits posted


def make_run(directory, data_root, model, variant=None, images=256):
    """A run folder as ``chainrule train`` writes it, fitted one epoch on ``images`` digits."""
    from chainrule import data, models, optim
    from chainrule.train import ModelCheckpoint, fit

    config = RunConfig(model=model, variant=variant, epochs=1, batch_size=32, data_dir=data_root)
    (directory / "config.json").write_text(json.dumps(dataclasses.asdict(config)))
    cr.manual_seed(0)
    normalise = data.transforms.Compose(
        [data.transforms.ToTensor(), data.transforms.Normalize(MNIST_MEAN, MNIST_STD)]
    )
    mnist = data.MNIST(data_root, train=True, transform=normalise)
    net = models.build(model, (1, 28, 28), 10, variant)
    loader = data.DataLoader(data.Subset(mnist, range(images)), batch_size=32, shuffle=True, seed=0)
    checkpoints = ModelCheckpoint(directory / "checkpoints", monitor="loss")
    fit(net, optim.Adam(net.parameters(), lr=3e-3), loader, 1, callbacks=[checkpoints])
    return directory


@pytest.fixture(scope="module")
def run_dirs(tiny_run, tmp_path_factory, data_root):
    """Run folders by name: the shared modern LeNet-5, a classic LeNet-5 and an MLP."""
    return {
        "lenet5-modern": tiny_run,
        "lenet5-classic": make_run(tmp_path_factory.mktemp("classic"), data_root, "lenet5"),
        "mlp": make_run(tmp_path_factory.mktemp("mlp"), data_root, "mlp"),
    }


@pytest.fixture(scope="module")
def servers(run_dirs):
    """A running server per run folder, each on a free port of 127.0.0.1."""
    started = {}
    for name, run_dir in run_dirs.items():
        server = serve_app.make_server(run_dir, port=0)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        started[name] = server
    yield started
    for server in started.values():
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def digits(data_root):
    """Real MNIST test digits as the page sends them: (28, 28) pixels in [0, 1], and labels."""
    mnist = MNIST(data_root, train=False)
    return [(mnist[i][0].astype(np.float32) / 255, int(mnist[i][1])) for i in DIGITS]


def request(server, path, body=None):
    """(status, decoded JSON answer) of a GET, or a POST of ``body`` (bytes or JSON)."""
    if body is not None and not isinstance(body, bytes):
        body = json.dumps(body).encode()
    try:
        with urllib.request.urlopen(urllib.request.Request(server.url + path, data=body)) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def forward(page, pixels):
    """The model's output on ``pixels`` normalised as the run normalises, run directly, and
    the pixel tensor (requires_grad) it came from."""
    image = cr.tensor(pixels[None, None], requires_grad=True)
    return page.model((image - MNIST_MEAN) / MNIST_STD), image


def run_model_predict(page, output):
    predict = getattr(page.model, "predict", None)
    return int(predict(output.data)[0] if predict else output.data.argmax(axis=1)[0])


@pytest.mark.parametrize("name", ["lenet5-modern", "lenet5-classic", "mlp"])
def test_prediction_and_layers_match_the_model_run_directly(servers, digits, name):
    server = servers[name]
    page = server.RequestHandlerClass.page
    for pixels, _ in digits:
        status, answer = request(server, "/api/analyse", {"image": pixels.tolist()})
        assert status == 200, answer
        output, _ = forward(page, pixels)
        assert answer["prediction"] == run_model_predict(page, output)
        assert answer["label"] == answer["prediction"]
        assert all(p.grad is None for p in page.model.parameters())  # the page never trains
        probabilities = np.array(answer["probabilities"])
        assert probabilities.sum() == pytest.approx(1.0)
        assert int(probabilities.argmax()) == answer["prediction"]
        assert [c for c, _ in answer["top3"]] == list(np.argsort(-probabilities)[:3])
        np.testing.assert_array_equal(serve_app.decode_array(answer["input"]), pixels)
        final = answer["layers"][-1]
        np.testing.assert_allclose(
            serve_app.decode_array(final["output"]), output.data[0], rtol=1e-5, atol=1e-5
        )
        for layer in answer["layers"]:
            assert serve_app.decode_array(layer["output"]).shape == tuple(layer["shape"])
            assert serve_app.decode_array(layer["delta"]).shape == tuple(layer["shape"])
            assert layer["formula"].startswith("δ")


def test_lenet5_layers_are_named_and_shaped_as_the_paper(servers, digits):
    answer = request(servers["lenet5-classic"], "/api/analyse", {"image": digits[0][0].tolist()})[1]
    shapes = {layer["title"]: tuple(layer["shape"]) for layer in answer["layers"]}
    assert shapes == {
        "input_map": (1, 32, 32),
        "c1": (6, 28, 28),
        "activation(c1)": (6, 28, 28),
        "s2": (6, 14, 14),
        "activation(s2)": (6, 14, 14),
        "c3": (16, 10, 10),
        "activation(c3)": (16, 10, 10),
        "s4": (16, 5, 5),
        "activation(s4)": (16, 5, 5),
        "c5": (120, 1, 1),
        "activation(c5)": (120, 1, 1),
        "f6": (84,),
        "activation(f6)": (84,),
        "output": (10,),
    }
    formulas = {layer["title"]: layer["formula"] for layer in answer["layers"]}
    assert "rot180" in formulas["activation(s2)"]  # c3 follows: a full convolution
    assert "δ⁺ ⊗ 1₂ₓ₂" in formulas["activation(c1)"]  # s2 follows: up-sampling
    assert "f′(z)" in formulas["c1"]  # the activation follows


def test_input_gradient_is_the_loss_gradient_on_the_pixels(servers, digits):
    """∂L/∂pixels against chainrule's autograd run without the server's hooks, and against a
    central finite difference of the loss along that gradient."""
    server = servers["lenet5-modern"]
    page = server.RequestHandlerClass.page
    pixels = digits[1][0]
    answer = request(server, "/api/analyse", {"image": pixels.tolist(), "label": 3})[1]
    gradient = serve_app.decode_array(answer["input_gradient"])
    output, image = forward(page, pixels)
    loss = F.cross_entropy(output, cr.tensor([3]))
    loss.backward()
    assert answer["label"] == 3
    assert answer["loss"] == pytest.approx(loss.item(), rel=1e-6)
    np.testing.assert_allclose(gradient, image.grad.data[0, 0], rtol=1e-5, atol=1e-7)

    def loss_at(x):
        return float(F.cross_entropy(forward(page, x.astype(np.float32))[0], cr.tensor([3])).item())

    step = 1e-2 * gradient / np.linalg.norm(gradient)
    slope = (loss_at(pixels + step) - loss_at(pixels - step)) / (2 * 1e-2)
    assert slope == pytest.approx(np.linalg.norm(gradient), rel=0.05)


def test_delta_at_the_output_is_the_loss_gradient_by_hand(servers, digits):
    """Cross-entropy: δ = softmax(y) − onehot; the MAP loss: δᵢ = [i = label] − e^{−yᵢ}/Z with
    Z = e^{−j} + Σₖ e^{−yₖ}; and one step down, δ = Wᵀδ⁺ through the modern output layer."""
    pixels, _ = digits[2]
    modern = request(servers["lenet5-modern"], "/api/analyse", {"image": pixels.tolist()})[1]
    logits = serve_app.decode_array(modern["layers"][-1]["output"]).astype(np.float64)
    softmax = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()
    expected = softmax - np.eye(10)[modern["label"]]
    delta = serve_app.decode_array(modern["layers"][-1]["delta"])
    np.testing.assert_allclose(delta, expected, atol=1e-6)
    weight = servers["lenet5-modern"].RequestHandlerClass.page.model.output.weight.data
    np.testing.assert_allclose(
        serve_app.decode_array(modern["layers"][-2]["delta"]), weight.T @ delta, atol=1e-6
    )

    classic = request(servers["lenet5-classic"], "/api/analyse", {"image": pixels.tolist()})[1]
    penalties = serve_app.decode_array(classic["layers"][-1]["output"]).astype(np.float64)
    shifted = np.exp(-(penalties - penalties.min()))
    z = np.exp(-MAP_J + penalties.min()) + shifted.sum()
    expected = np.eye(10)[classic["label"]] - shifted / z
    delta = serve_app.decode_array(classic["layers"][-1]["delta"])
    np.testing.assert_allclose(delta, expected, atol=1e-6)
    assert classic["prediction"] == int(penalties.argmin())


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"{not json", "not JSON"),
        (b"[1, 2]", '"image"'),
        ({"image": [0.5] * 100}, "784 pixels"),
        ({"image": [["a"] * 28] * 28}, "numbers only"),
        ({"image": [2.0] * 784}, "between 0"),
        ({"image": [0.0] * 784}, "empty: draw a digit"),
        ({"image": [0.5] * 784, "label": 10}, "from 0 to 9"),
        ({"image": [0.5] * 784, "label": "3"}, "from 0 to 9"),
    ],
)
def test_a_bad_request_is_a_400_with_one_sentence(servers, body, words):
    status, answer = request(servers["mlp"], "/api/analyse", body)
    assert status == 400
    assert words in answer["error"]
    assert "Traceback" not in answer["error"]


@pytest.mark.parametrize(
    ("length", "status", "words"),
    [(None, 411, "needs a Content-Length"), ("2000000", 413, "at most 1048576")],
)
def test_a_body_without_length_or_too_long_is_refused_unread(servers, length, status, words):
    host, port = servers["mlp"].server_address[:2]
    connection = http.client.HTTPConnection(host, port, timeout=10)
    connection.putrequest("POST", "/api/analyse")
    if length is not None:
        connection.putheader("Content-Length", length)
    connection.endheaders()
    response = connection.getresponse()
    assert response.status == status
    assert words in json.loads(response.read())["error"]
    connection.close()


def test_unknown_paths_are_404_and_the_page_is_served(servers):
    server = servers["mlp"]
    assert request(server, "/nothing")[0] == 404
    assert request(server, "/api/nothing", {"image": []})[0] == 404
    status, run = request(server, "/api/run")
    assert (status, run["model"], run["loss"], run["classes"]) == (200, "mlp", "cross-entropy", 10)
    pages = (("/", b"<canvas"), ("/pad.js", b"rasterise"), ("/page.js", b"api/analyse"))
    for path, marker in (*pages, ("/style.css", b"{")):
        with urllib.request.urlopen(server.url + path) as response:
            assert response.status == 200
            assert marker in response.read()


def test_a_run_that_is_not_an_mnist_classifier_is_refused(tmp_path, tiny_run):
    char_lm = tmp_path / "char-lm"
    char_lm.mkdir()
    (char_lm / "config.json").write_text(json.dumps({"corpus": "tiny.txt"}))
    with pytest.raises(ConfigError, match="is a char-lm run, which chainrule serve cannot read"):
        serve_app.make_server(char_lm, port=0)
    cifar = tmp_path / "cifar"
    cifar.mkdir()
    saved = json.loads((tiny_run / "config.json").read_text())
    (cifar / "config.json").write_text(json.dumps({**saved, "dataset": "cifar10"}))
    with pytest.raises(ConfigError, match="is a cifar10 run; chainrule serve draws MNIST digits"):
        serve_app.make_server(cifar, port=0)


def test_a_port_in_use_is_one_sentence(servers, run_dirs):
    taken = servers["mlp"].server_address[1]
    with pytest.raises(serve_app.ServeError, match=f"port {taken} on 127.0.0.1 is in use"):
        serve_app.make_server(run_dirs["mlp"], port=taken)


def test_serve_prints_its_url_and_answers_until_stopped(run_dirs, data_root):
    """``serve`` in a real process: the first line names the URL, which answers."""
    code = (
        "import sys; from chainrule.apps.serve import serve; "
        "serve(sys.argv[1], port=0, data_dir=sys.argv[2])"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code, str(run_dirs["mlp"]), data_root],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        line = process.stdout.readline()
        assert line.startswith(f"chainrule serve: {run_dirs['mlp']} at http://127.0.0.1:")
        url = line.split(" at ")[1].split()[0]
        with urllib.request.urlopen(url + "api/run") as response:
            assert json.loads(response.read())["model"] == "mlp"
    finally:
        process.terminate()
        process.wait(timeout=10)
