"""The locally connected layer: a convolution whose weights are not shared (deck D3, "Locally
Connected Networks", "LOCALLY CONNECTED NEURAL NET" — see docs/references.md).

Each output pixel (i, j) looks at the same kh × kw receptive field a conv2d would, but with a
filter of its own:

    y[n, o, i, j] = b[o, i, j] + Σ_{c,u,v} W[i·Wo + j, o, (c, u, v)] · x[n, c, i·s + u·d, j·s + v·d]

Built on ``unfold`` (im2col): with the columns X = unfold(x) of shape (N, C·kh·kw, L), L = Ho·Wo,
output position l is the matrix-vector product W[l] · X[:, :, l], all L of them in one batched
``matmul``; the backward comes from those ops. Its parameters count Ho·Wo·O·C·kh·kw weights (and
O·Ho·Wo biases) where conv2d has O·C·kh·kw: deck D3's 9 features of a 5×5 image take
5·5·9 = 225 weights fully connected, 3·3·9 = 81 locally connected, and 3·3·1 = 9 shared.
"""

import math

from .. import functional as F
from .. import init
from .linear import empty_parameter
from .module import Module


def _pair(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


class LocallyConnected2d(Module):
    """Locally connected 2-D layer over (N, C_in, H, W) inputs of a fixed ``input_size`` (H, W):
    weight (Ho·Wo, out_channels, in_channels·kh·kw), bias (out_channels, Ho, Wo)."""

    def __init__(
        self,
        in_channels,
        out_channels,
        input_size,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        bias=True,
    ):
        super().__init__()
        self.in_channels, self.out_channels = in_channels, out_channels
        self.input_size, self.kernel_size = _pair(input_size), _pair(kernel_size)
        self.stride, self.padding, self.dilation = _pair(stride), _pair(padding), _pair(dilation)
        self.output_size = tuple(
            (n + 2 * p - d * (k - 1) - 1) // s + 1
            for n, k, s, p, d in zip(
                self.input_size, self.kernel_size, self.stride, self.padding, self.dilation
            )
        )
        if min(self.output_size) < 1:
            raise ValueError(
                f"LocallyConnected2d: kernel {self.kernel_size} does not fit the "
                f"input size {self.input_size} with padding {self.padding}"
            )
        positions = self.output_size[0] * self.output_size[1]
        self.fan_in = in_channels * self.kernel_size[0] * self.kernel_size[1]
        self.weight = empty_parameter(positions, out_channels, self.fan_in)
        self.register_parameter(
            "bias", empty_parameter(out_channels, *self.output_size) if bias else None
        )
        self.reset_parameters()

    def reset_parameters(self):
        """U(−1/√fan_in, 1/√fan_in) for weights and biases, fan_in = C_in·kh·kw, as conv2d's
        default."""
        bound = 1 / math.sqrt(self.fan_in)
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        if input.ndim != 4 or tuple(input.shape[1:]) != (self.in_channels,) + self.input_size:
            raise ValueError(
                f"LocallyConnected2d: expected input (N, {self.in_channels}, "
                f"{self.input_size[0]}, {self.input_size[1]}), got shape "
                f"{tuple(input.shape)}"
            )
        columns = F.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)
        per_position = columns.permute(2, 0, 1) @ self.weight.transpose(1, 2)  # (L, N, O)
        y = per_position.permute(1, 2, 0).reshape(-1, self.out_channels, *self.output_size)
        return y if self.bias is None else y + self.bias

    def extra_repr(self):
        text = (
            f"{self.in_channels}, {self.out_channels}, input_size={self.input_size}, "
            f"kernel_size={self.kernel_size}, stride={self.stride}"
        )
        if self.padding != (0, 0):
            text += f", padding={self.padding}"
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        if self.bias is None:
            text += ", bias=False"
        return text
