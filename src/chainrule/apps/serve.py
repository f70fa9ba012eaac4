"""``chainrule serve RUN``: a local web page on a trained digit classifier — draw a digit, watch
the forward pass layer by layer and the backward pass that trains it.

The page (``apps/page/``: plain HTML, JavaScript and CSS, no build step) rasterises the drawing
as MNIST digits look — the ink scaled into a 20×20 box, centred by its centre of mass in 28×28,
pixels in [0, 1] — and posts it to ``POST /api/analyse``. The server applies the run's own input
transform, runs the model and chainrule's backward, and answers JSON (``analyse``):

- the prediction and the probability of every class, p(c) ∝ e^{−L(x, c)} with L the run's loss
  (the softmax for cross-entropy; for LeNet-5's RBF output, the posterior of its MAP criterion);
- for every layer call, in the order they ran: its output (the feature maps, as
  ``chainrule viz features`` draws them) and δ = ∂L/∂(that output) for the label asked for
  (default: the prediction), with the formula by which backprop obtained δ from the layer after
  it (``BACKWARD_STEPS``);
- the gradient of the loss on the 28×28 input pixels.

Arrays travel as ``{"shape": [...], "data": base64 of little-endian float32}``. A request the
server cannot answer gets a JSON ``{"error": sentence}`` with a 4xx status, never a traceback.

The server is the standard library's ``ThreadingHTTPServer``, bound to 127.0.0.1 by default;
one lock serialises the model, whose hooks are not thread-safe.
"""

import base64
import errno
import json
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np

from .. import nn
from ..autograd import Tensor, no_grad
from ..data.mnist import MNIST_MEAN, MNIST_STD
from ..errors import ChainruleError
from ..functional import loss as loss_functions
from ..models.lenet5 import (
    EuclideanRBF,
    InputMap,
    LearnedConnectionConv2d,
    PartialConv2d,
    Squash,
    TrainableSubsampling,
)
from . import runs
from .classify import loss_name, read_config
from .common import ConfigError

__all__ = ["ServeError", "DigitPage", "BACKWARD_STEPS", "make_server", "serve"]

PAGE_DIR = Path(__file__).with_name("page")
PAGE_FILES = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/index.html": ("index.html", "text/html; charset=utf-8"),
    "/pad.js": ("pad.js", "text/javascript; charset=utf-8"),
    "/page.js": ("page.js", "text/javascript; charset=utf-8"),
    "/style.css": ("style.css", "text/css; charset=utf-8"),
}
IMAGE_SIDE = 28
MAX_BODY_BYTES = 1 << 20

# Data sets whose images a drawn digit can stand for: the (mean, std) their runs normalise with.
PIXEL_NORMALISATION = {"mnist": (MNIST_MEAN, MNIST_STD)}

# Layers whose output shows nothing new at evaluation (as in ``chainrule viz features``).
PASS_THROUGH = (nn.Flatten, nn.Dropout)

ACTIVATIONS = (
    nn.ReLU,
    nn.Tanh,
    nn.Sigmoid,
    nn.LeakyReLU,
    nn.PReLU,
    nn.ELU,
    nn.SELU,
    Squash,
)

_CONVOLUTION = (
    "δ = δ⁺ ∗ rot180(W⁺): δ⁺ padded with zeros, convolved with the kernel turned by 180°",
    'deck D3, "情况二：当前层之后为卷积层"',
)

# The backward step of each kind of layer: how δ at its input follows from δ⁺, the gradient at
# its output, with the deck's slide that derives it. δ of a layer is read off the step of the
# layer after it.
BACKWARD_STEPS = {
    nn.Conv2d: _CONVOLUTION,
    PartialConv2d: (
        _CONVOLUTION[0] + " (K zero where Table I joins no maps)",
        _CONVOLUTION[1],
    ),
    LearnedConnectionConv2d: (
        "δ = δ⁺ ∗ rot180(α ⊙ W⁺): full convolution with the kernel scaled by the learned α",
        'deck D3, "情况 3：卷积层与前一层的连接方式未定"',
    ),
    nn.Linear: ("δ = W⁺ᵀ δ⁺", 'deck D1, "1.1.4 Demonstration of BP Algorithm"'),
    nn.MaxPool2d: (
        "δ = up(δ⁺): each δ⁺ goes to the arg-max of its window, 0 to the others",
        'deck D3, "情况一：当前层之后为 Pooling 层"',
    ),
    nn.AvgPool2d: (
        "δ = up(δ⁺) = δ⁺ ⊗ 1ₖₓₖ / k²: each δ⁺ spread evenly over its k×k window",
        'deck D3, "情况一：当前层之后为 Pooling 层"',
    ),
    TrainableSubsampling: (
        "δ = β · (δ⁺ ⊗ 1₂ₓ₂): the 2×2 block sum's up-sampling, times the map's coefficient β",
        'deck D3, "情况一：当前层之后为 Pooling 层"',
    ),
    EuclideanRBF: (
        "δ = Σᵢ 2(x − wᵢ) δ⁺ᵢ: each RBF unit yᵢ = ‖x − wᵢ‖² pulls along x − wᵢ",
        'deck D3, "欧式径向基函数"',
    ),
    InputMap: (
        "δ = s · δ⁺ on the 28×28 inside the 32×32 map (s the input scaling; border dropped)",
        'deck D3, "LeNet-5"',
    ),
}
ACTIVATION_STEP = (
    "δ = δ⁺ ⊙ f′(z): the activation's slope at its input z",
    'deck D1, "1.1.4 Demonstration of BP Algorithm"',
)
LOSS_STEPS = {
    "cross-entropy": (
        "δ = ∂L/∂y = softmax(y) − onehot(label)",
        'deck D2, "Back Propagation" / "反向传播算法"',
    ),
    "MAP loss": (
        "δ = ∂L/∂yᵢ = [i = label] − exp(−yᵢ) / (exp(−j) + Σₖ exp(−yₖ))",
        'deck D3, "欧式径向基函数"',
    ),
}


class ServeError(ChainruleError, OSError):
    """The server cannot start: its port is in use, or the address cannot be listened on."""


class BadRequest(ValueError):
    """A request the page (or a script) sent wrong: answered with ``status`` (400 unless
    given) and this sentence."""

    def __init__(self, message, status=HTTPStatus.BAD_REQUEST):
        super().__init__(message)
        self.status = status


def encode_array(array):
    """``{"shape": [...], "data": base64 of the float32 values, little-endian, C order}``."""
    array = np.ascontiguousarray(array, dtype="<f4")
    return {"shape": list(array.shape), "data": base64.b64encode(array.tobytes()).decode("ascii")}


def decode_array(encoded):
    """The NumPy array of ``encode_array``'s dict."""
    raw = base64.b64decode(encoded["data"])
    return np.frombuffer(raw, dtype="<f4").reshape(encoded["shape"])


def _backward_step(module):
    """(formula, citation) of the backward through ``module``."""
    for kind, step in BACKWARD_STEPS.items():
        if type(module) is kind:
            return step
    if isinstance(module, ACTIVATIONS):
        return ACTIVATION_STEP
    return (f"δ = the backward of {type(module).__name__} applied to δ⁺", None)


class DigitPage:
    """A trained classifier run, ready to answer the page: ``describe()`` for the run and
    ``analyse(pixels, label)`` for one drawn digit."""

    def __init__(self, run_dir, data_dir=None, checkpoint="last"):
        runs.require_kind(run_dir, "classifier", "chainrule serve")
        dataset = read_config(run_dir).dataset
        if dataset not in PIXEL_NORMALISATION:
            raise ConfigError(
                f"{run_dir} is a {dataset} run; chainrule serve draws MNIST digits, so it needs "
                "a run trained on mnist"
            )
        self.mean, self.std = PIXEL_NORMALISATION[dataset]
        self.trained = runs.load_run(run_dir, checkpoint, data_dir=data_dir, device="cpu")
        self.model = self.trained.model.requires_grad_(False)  # backward: δ and ∂L/∂pixel only
        self.loss_name = loss_name(self.trained.config)
        self.loss = getattr(self.model, "loss", loss_functions.cross_entropy)
        self.lock = threading.Lock()

    def describe(self):
        """The run as the page's header shows it."""
        config = self.trained.config
        return {
            "run": self.trained.directory,
            "model": config.model,
            "variant": config.variant,
            "dataset": config.dataset,
            "loss": self.loss_name,
            "classes": self.trained.num_classes,
            "image_side": IMAGE_SIDE,
        }

    def predict(self, output):
        """Class index of a (1, classes) output, by the model's own rule (argmin for RBF)."""
        predict = getattr(self.model, "predict", None)
        data = output.data
        return int(predict(data)[0] if predict else data.argmax(axis=1)[0])

    def probabilities(self, output):
        """p(c) ∝ e^{−L(output, c)} over the classes: what the run's loss calls a probability."""
        with no_grad():
            losses = np.array(
                [
                    float(self.loss(output, Tensor(np.array([c]))).item())
                    for c in range(self.trained.num_classes)
                ]
            )
        weights = np.exp(losses.min() - losses)
        return weights / weights.sum()

    def analyse(self, pixels, label=None):
        """Forward and backward of one 28×28 image of [0, 1] pixels (ink 1): the prediction,
        class probabilities, each layer's output and δ for ``label`` (None: the prediction), and
        ∂L/∂pixels. See the module docstring for the JSON it becomes."""
        with self.lock:
            image = Tensor(np.asarray(pixels, dtype=np.float32)[None, None], requires_grad=True)
            records, output = self._forward_recorded((image - self.mean) / self.std)
            prediction = self.predict(output)
            label = prediction if label is None else label
            loss = self.loss(output, Tensor(np.array([label])))
            loss.backward()
        probabilities = self.probabilities(output.detach())
        top = np.argsort(-probabilities, kind="stable")[:3]
        return {
            "prediction": prediction,
            "label": label,
            "loss": float(loss.item()),
            "loss_name": self.loss_name,
            "probabilities": probabilities.tolist(),
            "top3": [[int(c), float(probabilities[c])] for c in top],
            "input": encode_array(image.data[0, 0]),
            "input_gradient": encode_array(image.grad.data[0, 0]),
            "input_formula": self._input_formula(records),
            "layers": self._layers(records),
        }

    def _forward_recorded(self, x):
        """Run the model on ``x`` with a forward hook on every leaf module: returns
        ``[(name, module, output Tensor)]`` in the order they ran (outputs retaining their
        gradient) and the model's output."""
        records = []

        def hook_for(name):
            def record(module, args, output):
                if isinstance(output, Tensor) and output.requires_grad:
                    output.retain_grad()
                    records.append((name, module, output))

            return record

        leaves = [
            (name, module)
            for name, module in self.model.named_modules()
            if not list(module.children())
        ]
        handles = [module.register_forward_hook(hook_for(name)) for name, module in leaves]
        try:
            output = self.model(x)
        finally:
            for handle in handles:
                handle.remove()
        return records, output

    def _layers(self, records):
        """The JSON of each shown record (pass-through layers left out): output, δ and the
        backward step of the next shown layer, which produced δ (the loss's for the last)."""
        shown = [record for record in records if not isinstance(record[1], PASS_THROUGH)]
        layers = []
        for index, (name, module, output) in enumerate(shown):
            if index + 1 < len(shown):
                formula, cite = _backward_step(shown[index + 1][1])
            else:
                formula, cite = LOSS_STEPS[self.loss_name]
            layers.append(
                {
                    "name": name,
                    "title": _title(name, module, shown[:index], shown),
                    "kind": type(module).__name__,
                    "shape": list(output.shape[1:]),
                    "output": encode_array(output.data[0]),
                    "delta": encode_array(output.grad.data[0]),
                    "formula": formula,
                    "cite": cite,
                }
            )
        return layers

    def _input_formula(self, records):
        """How ∂L/∂pixels follows: the first layer's backward, then the normalisation's 1/σ."""
        first = next(module for _, module, _ in records if not isinstance(module, PASS_THROUGH))
        formula, cite = _backward_step(first)
        return {
            "formula": f"{formula}; then ∂L/∂pixel = δ / σ (the input was (pixel − μ)/σ, "
            f"μ = {self.mean:.4f}, σ = {self.std:.4f})",
            "cite": cite,
        }


def _title(name, module, earlier, shown):
    """A layer call's name; a module called more than once (LeNet-5's shared activation) is
    named after the layer it follows: ``activation(c1)``."""
    calls = sum(1 for _, m, _ in shown if m is module)
    if calls > 1 and earlier:
        return f"{name}({earlier[-1][0]})"
    return name if not name.isdigit() else f"{type(module).__name__} {name}"


def parse_request(body, classes):
    """(pixels (28, 28) float32, label or None) from a request body, or ``BadRequest``."""
    try:
        request = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BadRequest(f"the request body is not JSON ({error})") from None
    if not isinstance(request, dict) or "image" not in request:
        raise BadRequest('the request must be a JSON object with an "image" of 28×28 pixels')
    try:
        pixels = np.asarray(request["image"], dtype=np.float64)
    except (TypeError, ValueError):
        raise BadRequest('"image" must hold numbers only') from None
    if pixels.size != IMAGE_SIDE * IMAGE_SIDE or pixels.ndim not in (1, 2):
        raise BadRequest(
            f'"image" must hold 28×28 = 784 pixels (flat or as 28 rows), got shape {pixels.shape}'
        )
    if not np.all(np.isfinite(pixels)) or pixels.min() < 0 or pixels.max() > 1:
        raise BadRequest('"image" pixels must lie between 0 (background) and 1 (ink)')
    if not pixels.any():
        raise BadRequest("the image is empty: draw a digit first")
    label = request.get("label")
    if label is not None and (
        isinstance(label, bool) or not isinstance(label, int) or not 0 <= label < classes
    ):
        raise BadRequest(f'"label" must be a class from 0 to {classes - 1} or null, got {label!r}')
    return pixels.reshape(IMAGE_SIDE, IMAGE_SIDE).astype(np.float32), label


class PageHandler(BaseHTTPRequestHandler):
    """GET: the page's files and ``/api/run``; POST ``/api/analyse``: one digit's analysis.
    ``page`` (a ``DigitPage``) is set on the subclass ``make_server`` builds."""

    page = None
    server_version = "chainrule"

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        if path == "/api/run":
            self._send_json(HTTPStatus.OK, self.page.describe())
        elif path in PAGE_FILES:
            filename, content_type = PAGE_FILES[path]
            self._send(HTTPStatus.OK, (PAGE_DIR / filename).read_bytes(), content_type)
        else:
            self._send_json(HTTPStatus.NOT_FOUND, {"error": f"no page at {path}"})

    def do_POST(self):
        if self.path != "/api/analyse":
            self._send_json(HTTPStatus.NOT_FOUND, {"error": f"no API at {self.path}"})
            return
        try:
            pixels, label = parse_request(self._body(), self.page.trained.num_classes)
        except BadRequest as error:
            self._send_json(error.status, {"error": str(error)})
            return
        self._send_json(HTTPStatus.OK, self.page.analyse(pixels, label))

    def _body(self):
        """The request's body, refused unread without a Content-Length or above the limit."""
        length = self.headers.get("Content-Length", "")
        if not length.isdigit():
            raise BadRequest("the request needs a Content-Length", HTTPStatus.LENGTH_REQUIRED)
        if int(length) > MAX_BODY_BYTES:
            raise BadRequest(
                f"the request is {length} bytes; at most {MAX_BODY_BYTES} are read",
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
            )
        return self.rfile.read(int(length))

    def _send_json(self, status, answer):
        self._send(status, json.dumps(answer).encode("utf-8"), "application/json")

    def _send(self, status, body, content_type):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        """Quiet: the terminal shows the URL, not one line per request."""


def make_server(run_dir, host="127.0.0.1", port=8000, data_dir=None, checkpoint="last"):
    """A ``ThreadingHTTPServer`` serving the page of run ``run_dir`` on ``host:port`` (port 0:
    any free port), not yet serving; ``server.url`` is its address. Raises ``ConfigError`` /
    ``RunFolderError`` for a run it cannot serve and ``ServeError`` when it cannot listen."""
    page = DigitPage(run_dir, data_dir, checkpoint)
    handler = type("RunPageHandler", (PageHandler,), {"page": page})
    try:
        server = ThreadingHTTPServer((host, port), handler)
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise ServeError(
                f"port {port} on {host} is in use; choose another with --port"
            ) from None
        raise ServeError(f"cannot listen on {host}:{port}: {error.strerror or error}") from None
    server.daemon_threads = True
    bound_host, bound_port = server.server_address[:2]
    shown_host = f"[{bound_host}]" if ":" in bound_host else bound_host
    server.url = f"http://{shown_host}:{bound_port}/"
    return server


def serve(run_dir, host="127.0.0.1", port=8000, data_dir=None, checkpoint="last"):
    """Serve the page of run ``run_dir`` (its checkpoint ``checkpoint``) until Ctrl-C: prints
    the URL, then blocks."""
    server = make_server(run_dir, host, port, data_dir, checkpoint)
    print(f"chainrule serve: {run_dir} at {server.url} (Ctrl-C stops)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("chainrule serve: stopped", flush=True)
    finally:
        server.server_close()
