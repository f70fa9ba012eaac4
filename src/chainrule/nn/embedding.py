"""``Embedding``: a lookup table of word (or token) vectors, row i for index i.

Mathematically a Linear layer applied to one-hot vectors, done as an index; the backward
scatters δ back into the used rows (``chainrule.functional.embedding``).
"""

from .. import backend, init
from .. import functional as F
from ..autograd import Tensor
from .linear import empty_parameter
from .module import Module


class Embedding(Module):
    """Weight (num_embeddings, embedding_dim) ~ N(0, 1); row padding_idx is zero and gets no
    gradient (a padding token stays the zero vector)."""

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None):
        super().__init__()
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(
                    f"Embedding: padding_idx={padding_idx} is outside "
                    f"[-{num_embeddings}, {num_embeddings})"
                )
            padding_idx %= num_embeddings
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.padding_idx = padding_idx
        self.weight = empty_parameter(num_embeddings, embedding_dim)
        self.reset_parameters()

    def reset_parameters(self):
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight.data[self.padding_idx] = 0

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, padding_idx=None):
        """An Embedding whose weight is (a copy of) the 2-D Tensor or array ``embeddings``
        (e.g. word2vec vectors); ``freeze=True`` keeps it fixed during training."""
        array = embeddings.data if isinstance(embeddings, Tensor) else backend.as_array(embeddings)
        if array.ndim != 2:
            raise ValueError(
                f"Embedding.from_pretrained: embeddings must be 2-D, got shape {tuple(array.shape)}"
            )
        module = cls(*array.shape, padding_idx=padding_idx)
        module.weight.data = array.copy()
        module.weight.requires_grad = not freeze
        return module

    def forward(self, input):
        return F.embedding(input, self.weight, self.padding_idx)

    def extra_repr(self):
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            text += f", padding_idx={self.padding_idx}"
        return text
