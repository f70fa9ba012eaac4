"""Distances between pairs of vectors as modules: ``CosineSimilarity``."""

from .. import functional as F
from .module import Module


class CosineSimilarity(Module):
    """Σ x₁x₂ / (max(‖x₁‖, ε) · max(‖x₂‖, ε)) along ``dim``; see ``F.cosine_similarity``."""

    def __init__(self, dim=1, eps=1e-8):
        super().__init__()
        self.dim = dim
        self.eps = eps

    def forward(self, x1, x2):
        return F.cosine_similarity(x1, x2, dim=self.dim, eps=self.eps)
