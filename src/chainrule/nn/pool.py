"""Pooling layers (deck D2, "Pooling" / "池化"; deck D4, "Max-Pooling"): max, average, Lp, adaptive
(max and average, global) pooling and max unpooling, over (N, C, H, W) maps and (N, C, L) signals.
No parameters; the windows and the δ routing in the backward (to the arg-max for max, the Kronecker
up-sampling for mean) live in ``chainrule.functional.pool``.

Constructor arguments and reprs are PyTorch's.
"""

from .. import functional as F
from .conv import check_window
from .module import Module


def _single(value):
    """A 1-D pooling's int or 1-tuple as the 1-tuple torch's 1-D modules show."""
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


class _MaxPoolNd(Module):
    def __init__(
        self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False
    ):
        super().__init__()
        check_window(
            type(self).__name__, kernel_size, 1 if stride is None else stride, padding, dilation
        )
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def forward(self, input):
        return self.pool(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.dilation,
            ceil_mode=self.ceil_mode,
            return_indices=self.return_indices,
        )

    def extra_repr(self):
        return (
            f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
            f"dilation={self.dilation}, ceil_mode={self.ceil_mode}"
        )


class MaxPool1d(_MaxPoolNd):
    """Maximum over each window of kernel_size samples, moving by stride (default:
    kernel_size); ``return_indices`` also returns where each maximum was."""

    pool = staticmethod(F.max_pool1d)


class MaxPool2d(_MaxPoolNd):
    """Maximum over each kernel_size window, moving by stride (default: kernel_size);
    ``return_indices`` also returns where each maximum was (for ``MaxUnpool2d``)."""

    pool = staticmethod(F.max_pool2d)


class AvgPool1d(Module):
    """Mean over each window of kernel_size samples, moving by stride (default: kernel_size)."""

    def __init__(
        self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True
    ):
        super().__init__()
        check_window(type(self).__name__, kernel_size, 1 if stride is None else stride, padding)
        self.kernel_size = _single(kernel_size)
        self.stride = self.kernel_size if stride is None else _single(stride)
        self.padding = _single(padding)
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad

    def forward(self, input):
        return F.avg_pool1d(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            self.count_include_pad,
        )

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(Module):
    """Mean over each kernel_size window, moving by stride (default: kernel_size)."""

    def __init__(
        self,
        kernel_size,
        stride=None,
        padding=0,
        ceil_mode=False,
        count_include_pad=True,
        divisor_override=None,
    ):
        super().__init__()
        check_window(type(self).__name__, kernel_size, 1 if stride is None else stride, padding)
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, input):
        return F.avg_pool2d(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            self.count_include_pad,
            self.divisor_override,
        )

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class _LPPoolNd(Module):
    def __init__(self, norm_type, kernel_size, stride=None, ceil_mode=False):
        super().__init__()
        self.norm_type = norm_type
        self.kernel_size = kernel_size
        self.stride = stride
        self.ceil_mode = ceil_mode

    def forward(self, input):
        return self.pool(input, self.norm_type, self.kernel_size, self.stride, self.ceil_mode)

    def extra_repr(self):
        return (
            f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}, ceil_mode={self.ceil_mode}"
        )


class LPPool1d(_LPPoolNd):
    """(Σ_window x^p)^(1/p) over each window of kernel_size samples."""

    pool = staticmethod(F.lp_pool1d)


class LPPool2d(_LPPoolNd):
    """(Σ_window x^p)^(1/p) over each window; p = 2 is deck D2's L2-norm pooling ("Pooling")."""

    pool = staticmethod(F.lp_pool2d)


class AdaptiveAvgPool2d(Module):
    """Average pooling to a fixed output_size; ``AdaptiveAvgPool2d(1)`` is global average
    pooling (Lin et al. 2013, Network in Network)."""

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):
        return F.adaptive_avg_pool2d(input, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class _AdaptiveMaxPoolNd(Module):
    def __init__(self, output_size, return_indices=False):
        super().__init__()
        self.output_size = output_size
        self.return_indices = return_indices

    def forward(self, input):
        return self.pool(input, self.output_size, self.return_indices)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveMaxPool1d(_AdaptiveMaxPoolNd):
    """Max pooling of a signal to output_size samples; 1 is max-over-time pooling (the text
    CNN of Kim 2014)."""

    pool = staticmethod(F.adaptive_max_pool1d)


class AdaptiveMaxPool2d(_AdaptiveMaxPoolNd):
    """Max pooling to a fixed output_size (an int, a pair, None keeps that axis)."""

    pool = staticmethod(F.adaptive_max_pool2d)


class _MaxUnpoolNd(Module):
    dims = 2

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size = _tuple(kernel_size, self.dims)
        self.stride = self.kernel_size if stride is None else _tuple(stride, self.dims)
        self.padding = _tuple(padding, self.dims)

    def forward(self, input, indices, output_size=None):
        return self.unpool(input, indices, self.kernel_size, self.stride, self.padding, output_size)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


def _tuple(value, n):
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * n


class MaxUnpool1d(_MaxUnpoolNd):
    """Puts each value back where ``MaxPool1d(return_indices=True)`` found it, zeros elsewhere."""

    dims = 1
    unpool = staticmethod(F.max_unpool1d)


class MaxUnpool2d(_MaxUnpoolNd):
    """Puts each value back where ``MaxPool2d(return_indices=True)`` found it, zeros elsewhere
    (the deconvnet's unpooling, Zeiler & Fergus 2014)."""

    unpool = staticmethod(F.max_unpool2d)
