"""Pooling layers (deck 001/002/003/004): max, average, Lp (L2-norm) and global (adaptive)
average pooling over (N, C, H, W) inputs. No parameters; the windows and the δ routing in the
backward (to the argmax for max, the Kronecker up-sampling for mean) live in
``chainrule.functional.pool``.

Constructor arguments are PyTorch's, less those the functional ops do not implement (dilation,
ceil_mode, return_indices, divisor_override): pooling here always has dilation 1 and floor
output sizes, which the reprs state as PyTorch's do.
"""

from .. import functional as F
from .module import Module


class MaxPool2d(Module):
    """Maximum over each kernel_size window, moving by stride (default: kernel_size)."""

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding

    def forward(self, input):
        return F.max_pool2d(input, self.kernel_size, self.stride, self.padding)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                "dilation=1, ceil_mode=False")


class AvgPool2d(Module):
    """Mean over each kernel_size window, moving by stride (default: kernel_size)."""

    def __init__(self, kernel_size, stride=None, padding=0, *, count_include_pad=True):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding
        self.count_include_pad = count_include_pad

    def forward(self, input):
        return F.avg_pool2d(input, self.kernel_size, self.stride, self.padding,
                            count_include_pad=self.count_include_pad)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class LPPool2d(Module):
    """(Σ_window x^p)^(1/p) over each window; p = 2 is deck 002's L2-norm pooling."""

    def __init__(self, norm_type, kernel_size, stride=None):
        super().__init__()
        self.norm_type = norm_type
        self.kernel_size = kernel_size
        self.stride = stride

    def forward(self, input):
        return F.lp_pool2d(input, self.norm_type, self.kernel_size, self.stride)

    def extra_repr(self):
        return (f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, ceil_mode=False")


class AdaptiveAvgPool2d(Module):
    """Average pooling to a fixed output_size; ``AdaptiveAvgPool2d(1)`` is global average
    pooling (deck 001, Network in Network)."""

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):
        return F.adaptive_avg_pool2d(input, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"
