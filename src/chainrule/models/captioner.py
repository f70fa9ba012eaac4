"""An image captioner (deck D1's "picture talking"; Vinyals et al. 2015, "Show and Tell", and
with attention Xu et al. 2015, "Show, Attend and Tell"): a CNN encoder reads the picture, an
LSTM decoder writes the caption one word at a time.

    encoder   four 3×3 convolutions of stride 2 with ReLU (``width``, 2·``width``,
              4·``width`` and ``hidden`` channels): 96×96 → a 6×6 grid of
              ``hidden``-vectors, plus a learned position embedding per grid cell (the
              values attention reads, one per cell)
    state     h₀ = tanh(W · LayerNorm(the whole grid flattened)), c₀ = 0
    decoder   ``models.seq2seq.Decoder``: word embedding → LSTM → (attention over the 36
              grid cells →) linear to the vocabulary

Training is teacher forcing: the decoder reads the true caption shifted by one word
(``<bos>`` first) and predicts the next word; the loss is the cross-entropy of every word
(padding excluded). ``greedy`` writes a caption by taking the most probable word at each step,
``beam_search`` keeps the ``beam_width`` most probable partial captions (``models.seq2seq``'s
``Decoding``, the picture in place of a source sentence).

The position embedding goes beyond Show, Attend and Tell: a caption here names where digits are
("left of", "above"), and attention weights by content alone cannot tell two cells apart except
near the zero-padded borders. Adding a learned vector per cell (as ViT and DETR do) lets the
decoder read positions; measured on the held-out scenes in ``docs/captioning.md``.
"""

from .. import functional as F
from .. import nn
from ..backend import get_array_module
from .seq2seq import Decoder, Decoding, EncodedSource

__all__ = ["Captioner"]

GRID_CELLS = 6 * 6


class Captioner(Decoding, nn.Module):
    """``forward(images (N, 1, 96, 96), captions (T, N) ids)`` → logits (T − 1, N, V) of
    captions[1:] given captions[:-1]; ``loss`` their cross-entropy; ``greedy(images)`` and
    ``beam_search(images)`` → one id list per image, without ``<bos>``/``<eos>``, at most
    ``max_len`` words."""

    max_len = 20

    def __init__(
        self,
        vocab_size,
        hidden=128,
        embedding=32,
        attention=None,
        pad_index=0,
        bos=1,
        eos=2,
        width=16,
    ):
        super().__init__()
        self.pad_index, self.bos_index, self.eos_index = pad_index, bos, eos
        widths = (1, width, 2 * width, 4 * width, hidden)
        layers = []
        for channels_in, channels_out in zip(widths, widths[1:]):
            layers += [nn.Conv2d(channels_in, channels_out, 3, stride=2, padding=1), nn.ReLU()]
        self.encoder = nn.Sequential(*layers)
        self.position = nn.Embedding(GRID_CELLS, hidden)
        self.normalise = nn.LayerNorm(hidden * GRID_CELLS)
        self.initial = nn.Linear(hidden * GRID_CELLS, hidden)
        self.decoder = Decoder(
            vocab_size, embedding, hidden, "lstm", attention=attention, pad_index=pad_index
        )

    def encode(self, images):
        """(EncodedSource of the 36 grid cells, the decoder's initial (h₀, c₀))."""
        grid = self.encoder(images)
        xp = get_array_module(grid.data)
        values = grid.flatten(2).transpose(1, 2) + self.position(xp.arange(GRID_CELLS))
        attention = self.decoder.attention
        keys = attention.keys(values) if attention is not None else values
        mask = xp.ones((len(values.data), 1, values.shape[1]), dtype=bool)
        h0 = F.tanh(self.initial(self.normalise(grid.flatten(1)))).unsqueeze(0)
        return EncodedSource(values, keys, mask), (h0, h0 * 0)

    def forward(self, images, captions):
        encoded, state = self.encode(images)
        logits, _ = self.decoder(captions[:-1], state, encoded)
        return logits

    def loss(self, images, captions):
        """Mean cross-entropy per caption word (padding excluded)."""
        logits = self(images, captions)
        return F.cross_entropy(
            logits.reshape(-1, logits.shape[-1]),
            captions[1:].reshape(-1),
            ignore_index=self.pad_index,
        )
