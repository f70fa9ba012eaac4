"""``Dropout`` (deck D2, "正规化 : Dropout"; Srivastava et al. 2014): in training, zero each element
with probability p and scale the survivors by 1/(1 − p) ("inverted dropout"), so evaluation is the
identity and needs no rescaling."""

from .. import functional as F
from .module import Module


class Dropout(Module):
    """Random zeroing in ``train()`` mode, identity in ``eval()`` mode."""

    def __init__(self, p=0.5):
        super().__init__()
        if not 0 <= p <= 1:
            raise ValueError(f"Dropout: p must be in [0, 1], got {p}")
        self.p = p

    def forward(self, input):
        return F.dropout(input, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}"
