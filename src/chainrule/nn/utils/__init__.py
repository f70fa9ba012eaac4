"""Helpers around modules: weight normalisation, parameter counting, and truncated
backpropagation through time for recurrent language models (``detach_hidden``,
``BPTTBatches``)."""

from .bptt import BPTTBatches, detach_hidden
from .summary import parameter_count, summary
from .weight_norm import remove_weight_norm, weight_norm

__all__ = ["parameter_count", "summary", "weight_norm", "remove_weight_norm", "detach_hidden",
           "BPTTBatches"]
