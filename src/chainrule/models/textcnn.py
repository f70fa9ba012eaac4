"""Kim 2014's sentence CNN ("Convolutional Neural Networks for Sentence Classification"), the
CNN-rand variant: word vectors learned from scratch, no pre-trained embeddings.

A sentence of n words (padded, id 0) becomes the matrix of its word vectors x_1 … x_n ∈ R^k.
Each filter w ∈ R^{h·k} looks at a window of h words and makes one feature per position::

    c_i = ReLU(w · x_{i:i+h−1} + b),   i = 1 … n − h + 1

and max-over-time pooling keeps its largest value, ĉ = max_i c_i: one number per filter, whatever
the sentence length, standing for "the strongest match of this pattern anywhere". With windows
h ∈ {3, 4, 5} and 100 filters each, the pooled vector z ∈ R^300 goes through dropout (p = 0.5, on
z only) and a linear layer to the class scores, y = W (z ∘ r) + b (softmax in the loss).

Regularisation (Kim 2014, §2.1): after every gradient step each row w_c of the output weights W
(the weights of one class) is rescaled to ‖w_c‖₂ = s whenever ‖w_c‖₂ > s, s = 3
(``max_norm_``). CNN-rand's embeddings start as U[−0.25, 0.25] (the range of Kim's released code,
chosen so unknown words' vectors have about the variance of the pre-trained word2vec ones), and
the padding word's vector stays zero.
"""

from .. import functional as F
from .. import nn
from ..autograd import no_grad
from ..backend import get_array_module

__all__ = ["TextCNN", "max_norm_", "EMBEDDING_RANGE", "MAX_NORM"]

EMBEDDING_RANGE = 0.25
MAX_NORM = 3.0
PAD_INDEX = 0


class TextCNN(nn.Module):
    """Embedding → one ``Conv1d`` per window → ReLU → max over time → concat → dropout → linear.

    Input: (N, L) int64 word ids, 0 the padding word, L at least the largest window.
    Output: (N, num_classes) logits.
    """

    def __init__(
        self, vocab_size, num_classes, embedding_dim=300, windows=(3, 4, 5), maps=100, dropout=0.5
    ):
        super().__init__()
        self.windows = tuple(windows)
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=PAD_INDEX)
        nn.init.uniform_(self.embedding.weight, -EMBEDDING_RANGE, EMBEDDING_RANGE)
        with no_grad():
            self.embedding.weight.data[PAD_INDEX] = 0
        self.convs = nn.ModuleList(nn.Conv1d(embedding_dim, maps, h) for h in self.windows)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(maps * len(self.windows), num_classes)

    def features(self, ids):
        """The pooled feature vector z (N, maps · len(windows)): ĉ of every filter."""
        x = self.embedding(ids).transpose(1, 2)  # (N, k, L): word vectors as channels
        pooled = [F.adaptive_max_pool1d(F.relu(conv(x)), 1).flatten(1) for conv in self.convs]
        return F.cat(pooled, dim=1)

    def forward(self, ids):
        return self.fc(self.dropout(self.features(ids)))

    def max_norm_(self, max_norm=MAX_NORM):
        """Kim's constraint on the output layer: ``max_norm_(self.fc.weight, max_norm)``."""
        max_norm_(self.fc.weight, max_norm)


def max_norm_(weight, max_norm=MAX_NORM):
    """Rescale, in place, every row w of ``weight`` whose L2 norm exceeds ``max_norm`` s:
    w ← w · s / ‖w‖₂ (rows within the bound are left as they are). Returns ``weight``."""
    with no_grad():
        xp = get_array_module(weight.data)
        norms = xp.sqrt((weight.data * weight.data).sum(axis=1, keepdims=True))
        weight.data *= max_norm / xp.maximum(norms, max_norm)
    return weight
