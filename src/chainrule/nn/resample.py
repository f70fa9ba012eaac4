"""Resampling and padding layers, named and argued like torch.nn: ``Upsample`` (and the
``UpsamplingNearest2d`` / ``UpsamplingBilinear2d`` shorthands), ``PixelShuffle``,
``PixelUnshuffle``, and the padding layers ``ZeroPad1d/2d/3d``, ``ConstantPad1d/2d/3d``,
``ReflectionPad1d/2d/3d``, ``ReplicationPad1d/2d/3d``, ``CircularPad1d/2d/3d``. No parameters;
the gathers and their scatter-add backward live in ``chainrule.functional.resample``.
"""

from .. import functional as F
from .module import Module


class Upsample(Module):
    """``F.interpolate`` as a layer: to ``size`` or by ``scale_factor``, in ``mode``."""

    def __init__(
        self,
        size=None,
        scale_factor=None,
        mode="nearest",
        align_corners=None,
        recompute_scale_factor=None,
    ):
        super().__init__()
        self.size, self.scale_factor, self.mode = size, scale_factor, mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input):
        return F.interpolate(
            input,
            self.size,
            self.scale_factor,
            self.mode,
            self.align_corners,
            self.recompute_scale_factor,
        )

    def extra_repr(self):
        described = (
            f"size={self.size}" if self.size is not None else f"scale_factor={self.scale_factor}"
        )
        return f"{described}, mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    """Nearest-neighbour up-sampling of (N, C, H, W): ``Upsample(mode="nearest")``."""

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """Bilinear up-sampling of (N, C, H, W) with the corners aligned, as torch's:
    ``Upsample(mode="bilinear", align_corners=True)``."""

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)


class PixelShuffle(Module):
    """(*, C·r², H, W) → (*, C, H·r, W·r), the sub-pixel convolution's rearrangement."""

    def __init__(self, upscale_factor):
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input):
        return F.pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self):
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """(*, C, H·r, W·r) → (*, C·r², H, W), the inverse of ``PixelShuffle``."""

    def __init__(self, downscale_factor):
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input):
        return F.pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self):
        return f"downscale_factor={self.downscale_factor}"


class _PadNd(Module):
    """Pads the last ``dims`` axes; ``padding`` is an int (every side) or torch's tuple
    (before_last, after_last, before_second_last, …) of 2·dims ints."""

    dims = None
    mode = None

    def __init__(self, padding):
        super().__init__()
        if isinstance(padding, int):
            padding = (padding,) * (2 * self.dims)
        padding = tuple(padding)
        if len(padding) != 2 * self.dims:
            raise ValueError(
                f"{type(self).__name__}: padding must be an int or a tuple of "
                f"{2 * self.dims} ints, got {padding!r}"
            )
        self.padding = padding

    def forward(self, input):
        return F.pad(input, self.padding, self.mode)

    def extra_repr(self):
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    mode = "constant"

    def __init__(self, padding, value):
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pad the last axis with ``value``."""

    dims = 1


class ConstantPad2d(_ConstantPadNd):
    """Pad the last two axes with ``value``."""

    dims = 2


class ConstantPad3d(_ConstantPadNd):
    """Pad the last three axes with ``value``."""

    dims = 3


class ZeroPad1d(ConstantPad1d):
    """Pad the last axis with zeros."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)


class ZeroPad2d(ConstantPad2d):
    """Pad the last two axes with zeros (a convolution's zero-padding as a layer)."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)


class ZeroPad3d(ConstantPad3d):
    """Pad the last three axes with zeros."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)


class ReflectionPad1d(_PadNd):
    """Mirror the last axis at its edges (the edge itself not repeated)."""

    dims, mode = 1, "reflect"


class ReflectionPad2d(_PadNd):
    """Mirror the last two axes at their edges."""

    dims, mode = 2, "reflect"


class ReflectionPad3d(_PadNd):
    """Mirror the last three axes at their edges."""

    dims, mode = 3, "reflect"


class ReplicationPad1d(_PadNd):
    """Repeat the edge values of the last axis."""

    dims, mode = 1, "replicate"


class ReplicationPad2d(_PadNd):
    """Repeat the edge values of the last two axes."""

    dims, mode = 2, "replicate"


class ReplicationPad3d(_PadNd):
    """Repeat the edge values of the last three axes."""

    dims, mode = 3, "replicate"


class CircularPad1d(_PadNd):
    """Wrap the last axis around (periodic padding)."""

    dims, mode = 1, "circular"


class CircularPad2d(_PadNd):
    """Wrap the last two axes around."""

    dims, mode = 2, "circular"


class CircularPad3d(_PadNd):
    """Wrap the last three axes around."""

    dims, mode = 3, "circular"
