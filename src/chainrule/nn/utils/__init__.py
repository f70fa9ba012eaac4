"""Helpers around modules: weight normalisation and parameter counting."""

from .summary import parameter_count, summary
from .weight_norm import remove_weight_norm, weight_norm

__all__ = ["parameter_count", "summary", "weight_norm", "remove_weight_norm"]
