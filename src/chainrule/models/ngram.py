"""n-gram language models by counting (deck D4, "n-Gram Language Model"): MLE, add-k and
interpolated Kneser–Ney (Kneser & Ney 1995).

An n-gram model assumes each token depends only on the n − 1 before it,
p(w_1 … w_T) ≈ Π_t p(w_t | w_{t−n+1} … w_{t−1}), and learns those probabilities "from data:
just count n-gram frequencies" (deck D4, "Learning an n-Gram Model": the "cows eat" table).
Tokens are any hashable values: a ``str`` is read as its characters, a list of words as words.

Smoothing (``smoothing=``), for a context u (the last n − 1 tokens) and a vocabulary V:

- ``"mle"``: p(w | u) = c(u w) / c(u), the deck's relative frequencies. A context never seen
  in training falls back to its longest seen suffix (down to the unigram distribution).
- ``"add-k"``: p(w | u) = (c(u w) + k) / (c(u) + k·|V|) (Laplace for k = 1).
- ``"kneser-ney"``: interpolated Kneser–Ney with absolute discount d (Chen & Goodman 1998;
  Jurafsky & Martin, *Speech and Language Processing*, 3rd ed., §3.8)::

      p(w | u) = max(c*(u w) − d, 0) / Σ_v c*(u v)  +  d · N₁₊(u •) / Σ_v c*(u v) · p(w | u′)

  where u′ drops the first token of u, N₁₊(u •) is the number of distinct tokens seen after u,
  and c* is the raw count c for the highest order and the *continuation count* N₁₊(• u w) (the
  number of distinct tokens seen before u w) for the lower orders. The recursion ends in the
  uniform distribution 1/|V| below the unigrams; a context with no counts passes all its mass
  to p(· | u′). Every p(· | u) sums to 1 over V.

``cross_entropy`` is the mean −ln p per token (nats), ``perplexity`` its exponential; ``sample``
rolls a weighted die — one face per vocabulary token — for each new token.
"""

import math
from collections import Counter, defaultdict

import numpy as np

__all__ = ["NGramLM", "SMOOTHINGS"]

SMOOTHINGS = ("mle", "add-k", "kneser-ney")


class NGramLM:
    """An n-gram model over tokens; ``fit`` counts, ``prob``/``distribution`` smooth.

    ``n`` ≥ 1 is the order (n = 5: a 5-gram, four tokens of context). ``k`` is add-k's pseudo
    count, ``discount`` Kneser–Ney's d.
    """

    def __init__(self, n, smoothing="mle", k=1.0, discount=0.75):
        if not isinstance(n, int) or n < 1:
            raise ValueError(f"NGramLM: n must be a positive integer, got {n!r}")
        if smoothing not in SMOOTHINGS:
            raise ValueError(
                f"NGramLM: unknown smoothing {smoothing!r}; choose one of {', '.join(SMOOTHINGS)}"
            )
        if not 0 < discount < 1:
            raise ValueError(f"NGramLM: discount must be in (0, 1), got {discount}")
        self.n = n
        self.smoothing = smoothing
        self.k = k
        self.discount = discount
        self.vocab = []

    def fit(self, sequences):
        """Count every k-gram (k = 1 … n) inside each of ``sequences`` (a list of strs or of
        token lists; a lone str is one sequence). n-grams never cross from one sequence to the
        next. Returns ``self``."""
        if isinstance(sequences, str):
            sequences = [sequences]
        self.counts = [Counter() for _ in range(self.n + 1)]  # counts[k][k-gram tuple]
        for sequence in sequences:
            tokens = tuple(sequence)
            for k in range(1, self.n + 1):
                self.counts[k].update(tokens[i : i + k] for i in range(len(tokens) - k + 1))
        self.vocab = sorted(gram[0] for gram in self.counts[1])
        self._vocab_set = set(self.vocab)
        self._tables = [_Table.from_counts(self.counts[k]) for k in range(self.n + 1)]
        self._continuation = [
            _Table.from_counts(_continuation_counts(self.counts[k + 1])) if k < self.n else None
            for k in range(self.n + 1)
        ]
        return self

    # -- probabilities -------------------------------------------------------------------------

    def prob(self, token, context=()):
        """p(token | context); only the last n − 1 tokens of ``context`` matter."""
        self._check_fitted()
        if token not in self._vocab_set:
            raise KeyError(f"NGramLM: token {token!r} is not in the vocabulary")
        context = tuple(context)[max(len(context) - (self.n - 1), 0) :]
        if self.smoothing == "kneser-ney":
            return self._kneser_ney(token, context, top=True)
        if self.smoothing == "add-k":
            table = self._tables[len(context) + 1]
            return (table.count.get(context + (token,), 0) + self.k) / (
                table.total.get(context, 0) + self.k * len(self.vocab)
            )
        return self._mle(token, context)

    def distribution(self, context=()):
        """p(· | context) over ``self.vocab`` as a float64 array (sums to 1)."""
        return np.array([self.prob(w, context) for w in self.vocab])

    def _mle(self, token, context):
        while context and self._tables[len(context) + 1].total.get(context, 0) == 0:
            context = context[1:]
        table = self._tables[len(context) + 1]
        return table.count.get(context + (token,), 0) / table.total[context]

    def _kneser_ney(self, token, context, top):
        if not context and not top:
            return self._kn_level(self._continuation[1], token, context, lower=1 / len(self.vocab))
        if not context:
            return self._kn_level(self._tables[1], token, context, lower=1 / len(self.vocab))
        lower = self._kneser_ney(token, context[1:], top=False)
        order = len(context) + 1
        table = self._tables[order] if top else self._continuation[order]
        return self._kn_level(table, token, context, lower)

    def _kn_level(self, table, token, context, lower):
        total = table.total.get(context, 0)
        if total == 0:
            return lower
        count = table.count.get(context + (token,), 0)
        return (
            max(count - self.discount, 0) / total
            + self.discount * table.followers[context] / total * lower
        )

    # -- evaluation and generation -------------------------------------------------------------

    def cross_entropy(self, sequence, context=()):
        """Mean −ln p(w_t | previous tokens) over ``sequence`` in nats per token; the first
        tokens are conditioned on ``context`` (e.g. the end of the training text) and on each
        other."""
        history = tuple(context)[-(self.n - 1) :] if self.n > 1 else ()
        tokens = tuple(sequence)
        if not tokens:
            raise ValueError("cross_entropy: the sequence is empty")
        window = history + tokens
        start = len(history)
        total = 0.0
        for t in range(len(tokens)):
            position = start + t
            total -= math.log(
                self.prob(window[position], window[max(position - self.n + 1, 0) : position])
            )
        return total / len(tokens)

    def perplexity(self, sequence, context=()):
        """exp(cross-entropy): the size of a uniform die as surprising as the model on average."""
        return math.exp(self.cross_entropy(sequence, context))

    def sample(self, length, context=(), seed=0):
        """``length`` new tokens after ``context``: each one a roll of the weighted die
        p(· | the previous n − 1 tokens), with a NumPy ``Generator(seed)`` (reproducible)."""
        self._check_fitted()
        die = np.random.default_rng(seed)
        history = list(context)
        generated = []
        for _ in range(length):
            weights = self.distribution(history[-(self.n - 1) :] if self.n > 1 else ())
            token = self.vocab[die.choice(len(self.vocab), p=weights / weights.sum())]
            generated.append(token)
            history.append(token)
        return (
            "".join(generated)
            if all(isinstance(t, str) and len(t) == 1 for t in generated)
            else generated
        )

    def _check_fitted(self):
        if not self.vocab:
            raise RuntimeError("NGramLM: call fit() before asking for probabilities")


class _Table:
    """Counts of one order: ``count[gram]``, and per context (gram minus its last token)
    ``total[context]`` = Σ_w count[context + w] and ``followers[context]`` = N₁₊(context •)."""

    def __init__(self):
        self.count = {}
        self.total = defaultdict(int)
        self.followers = defaultdict(int)

    @classmethod
    def from_counts(cls, counts):
        table = cls()
        table.count = dict(counts)
        for gram, c in counts.items():
            table.total[gram[:-1]] += c
            table.followers[gram[:-1]] += 1
        table.total = dict(table.total)
        table.followers = dict(table.followers)
        return table


def _continuation_counts(longer):
    """N₁₊(• g) for every gram g: the number of distinct tokens seen just before it, from the
    counts of the grams one token longer."""
    continuation = Counter()
    for gram in longer:
        continuation[gram[1:]] += 1
    return continuation
