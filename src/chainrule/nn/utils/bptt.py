"""Truncated backpropagation through time (BPTT) for language models on one long token stream.

Backpropagating through a whole corpus is impossible, and restarting the hidden state at zero
for every short chunk throws away the context. The classic compromise (Elman 1990; Karpathy
2015's char-rnn; PyTorch's word_language_model example) is *truncated* BPTT:

1. cut the stream into N equal parallel streams, one per batch column
   (``batches = BPTTBatches(tokens, batch_size=N, seq_len=T)``);
2. walk through them T steps at a time: chunk k holds steps k·T … k·T + T − 1 of every stream,
   so column j of chunk k+1 continues column j of chunk k exactly;
3. carry the hidden state from one chunk to the next, but cut it from the graph first
   (``hidden = detach_hidden(hidden)``): the forward pass sees the whole history, the backward
   pass stops at the chunk boundary, so each step costs O(T) however long the stream.

A training loop::

    hidden = None
    for inputs, targets in BPTTBatches(tokens, batch_size=32, seq_len=64):
        hidden = detach_hidden(hidden)
        output, hidden = lstm(embed(inputs), hidden)          # inputs: (T, N) token ids
        loss = F.cross_entropy(head(output).reshape(-1, V), targets.reshape(-1))
        optimizer.zero_grad(); loss.backward(); optimizer.step()
"""

import numpy as np

from ...autograd import Tensor
from ...backend import get_array_module

__all__ = ["detach_hidden", "BPTTBatches"]


def detach_hidden(hidden):
    """Cut a recurrent state from the graph, keeping its values: a Tensor (RNN, GRU h), a tuple
    or list of them (LSTM's (h, c)), nested, or None (no state yet), returned in the same
    structure. Call it on the state carried into each new chunk of truncated BPTT."""
    if hidden is None:
        return None
    if isinstance(hidden, Tensor):
        return hidden.detach()
    if isinstance(hidden, (tuple, list)):
        return type(hidden)(detach_hidden(h) for h in hidden)
    raise TypeError(
        f"detach_hidden: expected a Tensor, a tuple/list of Tensors or None, got "
        f"{type(hidden).__name__}"
    )


class BPTTBatches:
    """(inputs, targets) chunks of a 1-D token stream for truncated BPTT.

    The stream (an integer array, list or Tensor, on the CPU or GPU) is trimmed to a multiple of
    ``batch_size`` and split into that many contiguous parallel streams: column j holds tokens
    j·L … (j+1)·L − 1, L = len(tokens) // batch_size. Each chunk is the next ``seq_len`` steps of
    every column; the targets are the inputs shifted one step ahead (the next token), so every
    token of a column but the first is a target exactly once. The last chunk is shorter when
    L − 1 is not a multiple of ``seq_len``. Chunks are time-major (T, N) int64 Tensors, as
    ``nn.LSTM`` wants by default; (N, T) with ``batch_first=True``.

    >>> [inputs.numpy().T.tolist() for inputs, _ in BPTTBatches(list(range(10)), 2, 3)]
    [[[0, 1, 2], [5, 6, 7]], [[3], [8]]]
    """

    def __init__(self, tokens, batch_size, seq_len, batch_first=False):
        data = tokens.data if isinstance(tokens, Tensor) else tokens
        xp = get_array_module(data)
        data = xp.asarray(data)
        if data.ndim != 1 or data.dtype.kind not in "iu":
            raise ValueError(
                f"BPTTBatches: tokens must be a 1-D integer sequence, got shape "
                f"{tuple(data.shape)} and dtype {data.dtype}"
            )
        if batch_size <= 0 or seq_len <= 0:
            raise ValueError(
                f"BPTTBatches: batch_size and seq_len must be positive, got "
                f"{batch_size} and {seq_len}"
            )
        length = data.shape[0] // batch_size
        if length < 2:
            raise ValueError(
                f"BPTTBatches: {data.shape[0]} tokens cannot make {batch_size} "
                "streams of at least 2 tokens (an input and its target)"
            )
        self.streams = data[: length * batch_size].astype(np.int64).reshape(batch_size, length).T
        self.seq_len = seq_len
        self.batch_first = batch_first

    def __len__(self):
        return -(-(self.streams.shape[0] - 1) // self.seq_len)

    def __iter__(self):
        xp = get_array_module(self.streams)
        for start in range(0, self.streams.shape[0] - 1, self.seq_len):
            stop = min(start + self.seq_len, self.streams.shape[0] - 1)
            inputs, targets = self.streams[start:stop], self.streams[start + 1 : stop + 1]
            if self.batch_first:
                inputs, targets = inputs.T, targets.T
            yield Tensor(xp.ascontiguousarray(inputs)), Tensor(xp.ascontiguousarray(targets))
