"""Convolution layers: ``Conv1d``, ``Conv2d``, ``ConvTranspose1d``, ``ConvTranspose2d`` (decks
D2–D4), and ``Unfold``/``Fold``, im2col and col2im as modules.

Each holds a kernel bank and a bias; the work (im2col + one GEMM, and the backward as a full
convolution with the 180°-rotated kernel) is in ``chainrule.functional.conv``. Output size per
spatial axis: ⌊(n + 2p − d(k − 1) − 1) / s⌋ + 1 (deck D2, "Filter":
(n + 2p − k)/s + 1 when d = 1).
"""

from .. import functional as F
from .linear import empty_parameter, init_weight_and_bias
from .module import Module

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _tuple(value, n):
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * n


def check_window(owner, kernel_size, stride=1, padding=0, dilation=1):
    """Refuse, where the layer is built, a window torch would only refuse when it runs:
    kernel, stride and dilation must be whole numbers above 0, padding 0 or more."""
    for name, value, least in (
        ("kernel_size", kernel_size, 1),
        ("stride", stride, 1),
        ("padding", padding, 0),
        ("dilation", dilation, 1),
    ):
        values = value if isinstance(value, (tuple, list)) else (value,)
        if not all(isinstance(v, int) and not isinstance(v, bool) and v >= least for v in values):
            wanted = "above 0" if least else "0 or more"
            raise ValueError(f"{owner}: {name} must be whole numbers {wanted}, got {value!r}")


class _ConvNd(Module):
    """Shared state of the convolutions: weight (out, in/groups, *k), or (in, out/groups, *k)
    when transposed, and bias (out,), both initialised as PyTorch does; the forward calls the
    subclass's stateless ``function`` from ``chainrule.functional``."""

    dims = 2
    transposed = False

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride,
        padding,
        dilation,
        groups,
        bias,
        padding_mode,
        output_padding=0,
    ):
        super().__init__()
        if padding_mode not in _PADDING_MODES:
            raise ValueError(
                f"{type(self).__name__}: padding_mode must be one of "
                f"{_PADDING_MODES}, got {padding_mode!r}"
            )
        if self.transposed and padding_mode != "zeros":
            raise ValueError(
                f"{type(self).__name__}: only padding_mode 'zeros' is supported "
                f"(as torch), got {padding_mode!r}"
            )
        if not isinstance(groups, int) or groups < 1:
            raise ValueError(
                f"{type(self).__name__}: groups must be a positive int, got {groups!r}"
            )
        padding_to_check = 0 if isinstance(padding, str) else padding
        check_window(type(self).__name__, kernel_size, stride, padding_to_check, dilation)
        for name, channels in (("in_channels", in_channels), ("out_channels", out_channels)):
            if channels % groups != 0:
                raise ValueError(
                    f"{type(self).__name__}: {name}={channels} is not divisible by groups={groups}"
                )
        n = self.dims
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = _tuple(kernel_size, n)
        self.stride = _tuple(stride, n)
        self.padding = padding if isinstance(padding, str) else _tuple(padding, n)
        self.dilation = _tuple(dilation, n)
        self.output_padding = _tuple(output_padding, n)
        self.groups = groups
        self.padding_mode = padding_mode
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
        text = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
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
        if self.padding_mode != "zeros":
            text += f", padding_mode={self.padding_mode}"
        return text

    def forward(self, input):
        if self.transposed:
            return self.function(
                input,
                self.weight,
                self.bias,
                stride=self.stride,
                padding=self.padding,
                output_padding=self.output_padding,
                groups=self.groups,
                dilation=self.dilation,
            )
        input, padding = self._padded(input)
        return self.function(
            input,
            self.weight,
            self.bias,
            stride=self.stride,
            padding=padding,
            dilation=self.dilation,
            groups=self.groups,
        )

    def _padded(self, input):
        """(input, padding) for the convolution: with a padding_mode other than 'zeros' the
        input padded by ``F.pad`` in that mode and padding 0, as torch does."""
        if self.padding_mode == "zeros":
            return input, self.padding
        if self.padding == "valid":
            return input, 0
        if self.padding == "same":
            totals = [d * (k - 1) for k, d in zip(self.kernel_size, self.dilation)]
            sides = [(total // 2, total - total // 2) for total in totals]
        else:
            sides = [(p, p) for p in self.padding]
        pads = [amount for side in reversed(sides) for amount in side]
        return F.pad(input, pads, mode=self.padding_mode), 0


class Conv1d(_ConvNd):
    """1-D convolution over (N, C_in, L) inputs (e.g. a sentence's word vectors, TextCNN)."""

    dims = 1
    function = staticmethod(F.conv1d)

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups=1,
        bias=True,
        padding_mode="zeros",
    ):
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            groups,
            bias,
            padding_mode,
        )


class Conv2d(_ConvNd):
    """2-D convolution over (N, C_in, H, W) inputs: deck D4's "Convolutional Layer"."""

    function = staticmethod(F.conv2d)

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups=1,
        bias=True,
        padding_mode="zeros",
    ):
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            groups,
            bias,
            padding_mode,
        )


class ConvTranspose2d(_ConvNd):
    """Transposed 2-D convolution (the gradient of conv2d with respect to its input), used to
    up-sample in decoders; weight shape (in, out/groups, kH, kW)."""

    transposed = True
    function = staticmethod(F.conv_transpose2d)

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride=1,
        padding=0,
        output_padding=0,
        groups=1,
        bias=True,
        dilation=1,
        padding_mode="zeros",
    ):
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            groups,
            bias,
            padding_mode,
            output_padding,
        )


class ConvTranspose1d(_ConvNd):
    """Transposed 1-D convolution (the gradient of conv1d with respect to its input), used to
    up-sample signals; weight shape (in, out/groups, k)."""

    dims = 1
    transposed = True
    function = staticmethod(F.conv_transpose1d)

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride=1,
        padding=0,
        output_padding=0,
        groups=1,
        bias=True,
        dilation=1,
        padding_mode="zeros",
    ):
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            groups,
            bias,
            padding_mode,
            output_padding,
        )


class Unfold(Module):
    """The sliding blocks of (N, C, H, W) as columns (N, C·kh·kw, L): im2col."""

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.padding = padding
        self.stride = stride

    def forward(self, input):
        return F.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self):
        return (
            f"kernel_size={self.kernel_size}, dilation={self.dilation}, "
            f"padding={self.padding}, stride={self.stride}"
        )


class Fold(Module):
    """Columns (N, C·kh·kw, L) summed back into images (N, C, *output_size): col2im."""

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.output_size = output_size
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.padding = padding
        self.stride = stride

    def forward(self, input):
        return F.fold(
            input, self.output_size, self.kernel_size, self.dilation, self.padding, self.stride
        )

    def extra_repr(self):
        return (
            f"output_size={self.output_size}, kernel_size={self.kernel_size}, "
            f"dilation={self.dilation}, padding={self.padding}, stride={self.stride}"
        )
