"""Convolution layers: ``Conv1d``, ``Conv2d`` and ``ConvTranspose2d`` (deck 002/003/004).

Each holds a kernel bank and a bias; the work (im2col + one GEMM, and the backward as a full
convolution with the 180°-rotated kernel) is in ``chainrule.functional.conv``. Output size per
spatial axis: ⌊(n + 2p − d(k − 1) − 1) / s⌋ + 1 (deck 002's (n + 2p − k)/s + 1 when d = 1).
"""

from .. import functional as F
from .linear import empty_parameter, init_weight_and_bias
from .module import Module


def _tuple(value, n):
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * n


class _ConvNd(Module):
    """Shared state of the convolutions: weight (out, in/groups, *k), or (in, out/groups, *k)
    when transposed, and bias (out,), both initialised as PyTorch does."""

    dims = 2
    transposed = False

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation,
                 groups, bias, output_padding=0):
        super().__init__()
        for name, channels in (("in_channels", in_channels), ("out_channels", out_channels)):
            if channels % groups != 0:
                raise ValueError(f"{type(self).__name__}: {name}={channels} is not divisible "
                                 f"by groups={groups}")
        n = self.dims
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = _tuple(kernel_size, n)
        self.stride = _tuple(stride, n)
        self.padding = padding if isinstance(padding, str) else _tuple(padding, n)
        self.dilation = _tuple(dilation, n)
        self.output_padding = _tuple(output_padding, n)
        self.groups = groups
        if self.transposed:
            shape = (in_channels, out_channels // groups, *self.kernel_size)
        else:
            shape = (out_channels, in_channels // groups, *self.kernel_size)
        self.weight = empty_parameter(*shape)
        self.register_parameter("bias", empty_parameter(out_channels) if bias else None)
        self.reset_parameters()

    def reset_parameters(self):
        init_weight_and_bias(self.weight, self.bias)

    def extra_repr(self):
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        n = self.dims
        if self.padding != (0,) * n:
            text += f", padding={self.padding}"
        if self.dilation != (1,) * n:
            text += f", dilation={self.dilation}"
        if self.output_padding != (0,) * n:
            text += f", output_padding={self.output_padding}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        return text


class Conv1d(_ConvNd):
    """1-D convolution over (N, C_in, L) inputs (e.g. a sentence's word vectors, TextCNN)."""

    dims = 1

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias)

    def forward(self, input):
        return F.conv1d(input, self.weight, self.bias, stride=self.stride, padding=self.padding,
                        dilation=self.dilation, groups=self.groups)


class Conv2d(_ConvNd):
    """2-D convolution over (N, C_in, H, W) inputs: the CNN layer of decks 001–004."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias)

    def forward(self, input):
        return F.conv2d(input, self.weight, self.bias, stride=self.stride, padding=self.padding,
                        dilation=self.dilation, groups=self.groups)


class ConvTranspose2d(_ConvNd):
    """Transposed 2-D convolution (the gradient of conv2d with respect to its input), used to
    up-sample in decoders; weight shape (in, out/groups, kH, kW)."""

    transposed = True

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, output_padding)

    def forward(self, input):
        return F.conv_transpose2d(input, self.weight, self.bias, stride=self.stride,
                                  padding=self.padding, output_padding=self.output_padding,
                                  groups=self.groups, dilation=self.dilation)
