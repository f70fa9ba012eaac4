"""A convolutional autoencoder (deck D3, "Convolution & AutoEncoder"): an encoder of
convolutions and max pooling squeezes a 28×28 digit into a small code, a decoder grows the code
back into a picture, and the network is trained to give back its own input, min ‖x̂ − x‖².

    encoder   Conv 1→16 3×3, ReLU, MaxPool 2    28×28 → 14×14
              Conv 16→32 3×3, ReLU, MaxPool 2   14×14 → 7×7      code: 32×7×7
    latent N  Linear 1568→N, Linear N→1568, ReLU (optional: a bottleneck of N numbers;
              N = 2 gives a code that can be drawn as a point per digit)
    decoder   "transpose": ConvTranspose 32→16 2×2 stride 2, ReLU, ConvTranspose 16→1 2×2
              stride 2 (each output pixel of a stride-2, 2×2 transposed convolution comes from
              one input pixel times one kernel weight: a learned un-pooling)
              "upsample": nearest ×2, Conv 32→16 3×3, ReLU, nearest ×2, Conv 16→1 3×3
              (interpolate then convolve: no checkerboard from overlapping kernels)
              then Sigmoid: pixels in [0, 1], as the input's.

A denoising autoencoder (Vincent et al. 2008) corrupts the input while training and still asks
for the clean picture: ``noise`` > 0 adds Gaussian noise of standard deviation ``noise``
(``noise_kind="gaussian"``), or zeroes each pixel with probability ``noise``
(``noise_kind="mask"``). In eval mode the input is left as it is.
"""

from .. import nn
from .. import random as chainrule_random
from ..autograd import Tensor
from ..backend import get_array_module
from ..functional import interpolate, mse_loss

__all__ = ["ConvAutoencoder", "DECODERS", "NOISE_KINDS"]

DECODERS = ("transpose", "upsample")
NOISE_KINDS = ("gaussian", "mask")
CODE_SHAPE = (32, 7, 7)


class ConvAutoencoder(nn.Module):
    """``forward(x)`` → the reconstruction of ``x`` (N, 1, 28, 28) with pixels in [0, 1];
    ``encode(x)`` → the code (N, 32, 7, 7), or (N, latent) with a bottleneck; ``decode(code)``
    → the picture; ``loss(output, target)`` is the mean squared error."""

    def __init__(self, decoder="transpose", latent=None, noise=0.0, noise_kind="gaussian"):
        super().__init__()
        if decoder not in DECODERS:
            raise ValueError(f"unknown decoder {decoder!r}; choose one of {', '.join(DECODERS)}")
        if noise_kind not in NOISE_KINDS:
            raise ValueError(
                f"unknown noise {noise_kind!r}; choose one of {', '.join(NOISE_KINDS)}"
            )
        self.latent, self.noise, self.noise_kind = latent, noise, noise_kind
        self.encoder = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        code_size = CODE_SHAPE[0] * CODE_SHAPE[1] * CODE_SHAPE[2]
        if latent is not None:
            self.to_latent = nn.Linear(code_size, latent)
            self.from_latent = nn.Linear(latent, code_size)
        self.decoder = _transpose_decoder() if decoder == "transpose" else _upsample_decoder()

    def forward(self, x):
        if self.training and self.noise > 0:
            x = self.corrupt(x)
        return self.decode(self.encode(x))

    def corrupt(self, x):
        """``x`` with the training noise: x + σ·ε, ε ~ N(0, 1), or x·m, m ~ Bernoulli(1 − p)."""
        xp = get_array_module(x.data)
        draw = chainrule_random.generator(xp)
        if self.noise_kind == "gaussian":
            noisy = x.data + self.noise * draw.standard_normal(x.shape, dtype=x.dtype)
        else:
            noisy = x.data * (draw.random(x.shape) >= self.noise)
        return Tensor(noisy.astype(x.dtype, copy=False))

    def encode(self, x):
        code = self.encoder(x)
        if self.latent is None:
            return code
        return self.to_latent(code.flatten(1))

    def decode(self, code):
        if self.latent is not None:
            code = self.from_latent(code).relu().reshape(-1, *CODE_SHAPE)
        return self.decoder(code)

    def loss(self, output, target):
        return mse_loss(output, target)


def _transpose_decoder():
    return nn.Sequential(
        nn.ConvTranspose2d(32, 16, 2, stride=2),
        nn.ReLU(),
        nn.ConvTranspose2d(16, 1, 2, stride=2),
        nn.Sigmoid(),
    )


class _UpsampleConv(nn.Module):
    """Nearest-neighbour ×2 (``interpolate``), then a 3×3 convolution that keeps the size."""

    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, 3, padding=1)

    def forward(self, x):
        return self.conv(interpolate(x, scale_factor=2, mode="nearest"))


def _upsample_decoder():
    return nn.Sequential(_UpsampleConv(32, 16), nn.ReLU(), _UpsampleConv(16, 1), nn.Sigmoid())
