"""``chainrule.utils``: where torch code looks for ``utils.data``."""

from . import data

__all__ = ["data"]
