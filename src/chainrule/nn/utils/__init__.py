"""Helpers around modules: weight normalisation, parameter counting, and truncated
backpropagation through time for recurrent language models (``detach_hidden``,
``BPTTBatches``)."""

from ...optim.clip import clip_grad_norm_, clip_grad_value_  # where torch code looks for them
from .bptt import BPTTBatches, detach_hidden
from .summary import parameter_count, summary
from .weight_norm import remove_weight_norm, weight_norm

__all__ = [
    "clip_grad_norm_",
    "clip_grad_value_",
    "parameter_count",
    "summary",
    "weight_norm",
    "remove_weight_norm",
    "detach_hidden",
    "BPTTBatches",
]
