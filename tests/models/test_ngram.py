"""n-gram LMs: deck D4's "cows eat" counts, Kneser–Ney against a hand computation, every
conditional distribution sums to 1, perplexity of a uniform model, seeded sampling."""

import itertools
import math
import re

import numpy as np
import pytest

from chainrule.models.ngram import NGramLM

# Deck D4, "Learning an n-Gram Model": the 11 snippets around "cows eat".
COWS_EAT = [
    "the cows eat grass",
    "our cows eat hay daily",
    "factory-farm cows eat corn",
    "on an organic farm, cows eat hay and",
    "do your cows eat grass or corn?",
    "what do cows eat if they have",
    "cows eat corn when there is no",
    "which cows eat which foods depends",
    "if cows eat grass",
    "when cows eat corn their stomachs",
    "should we let cows eat corn?",
]


def words(snippet):
    return re.findall(r"[\w-]+", snippet)


def test_cows_eat_table_of_deck_004():
    model = NGramLM(3, smoothing="mle").fit([words(s) for s in COWS_EAT])
    expected = {"corn": 4 / 11, "grass": 3 / 11, "hay": 2 / 11, "if": 1 / 11, "which": 1 / 11}
    distribution = dict(zip(model.vocab, model.distribution(("cows", "eat"))))
    assert {w: p for w, p in distribution.items() if p > 0} == expected
    assert model.prob("foods", ("cows", "eat")) == 0  # seen in the snippets, never after "cows eat"


# Hand computation (interpolated KN, d = 0.75, Jurafsky & Martin §3.8) on the text "abacab",
# V = {a, b, c}:
#   bigram counts ab 2, ba 1, ac 1, ca 1; continuation counts N1+(•a) = 2 ({b, c}),
#   N1+(•b) = N1+(•c) = 1, N1+(••) = 4 bigram types.
#   unigram level: P1(a) = (2 − .75)/4 + .75·3/4·1/3 = 0.5, P1(b) = P1(c) = 0.25.
#   bigram model, context a (c(a•) = 3, N1+(a•) = 2):
#     P(b|a) = (2 − .75)/3 + .75·2/3·0.25 = 13/24, P(c|a) = 5/24, P(a|a) = .5·.5 = 6/24.
#   trigram model: the middle order counts continuations. N1+(•ab) = 1 (c), N1+(•ac) = 1 (b)
#   (the first "ab" has no left neighbour), so for context a: Σ = 2, N1+(a•) = 2:
#     P2(b|a) = .25/2 + .75·2/2·0.25 = 0.3125 = P2(c|a), P2(a|a) = .75·.5 = 0.375;
#   the unseen context "aa" hands all its mass to P2(·|a). Context "ab" (only "aba", once):
#     P2(a|b) = (1 − .75)/1 + .75·1·0.5 = 0.625, P2(b|b) = P2(c|b) = .75·.25 = 0.1875;
#     P(a|ab) = .25 + .75·0.625 = 0.71875, P(b|ab) = P(c|ab) = .75·0.1875 = 0.140625.
KN_BIGRAM = {
    ("a",): {"a": 6 / 24, "b": 13 / 24, "c": 5 / 24},
    ("b",): {"a": 0.625, "b": 0.1875, "c": 0.1875},
}
KN_TRIGRAM = {
    ("a", "a"): {"a": 0.375, "b": 0.3125, "c": 0.3125},
    ("a", "b"): {"a": 0.71875, "b": 0.140625, "c": 0.140625},
}


@pytest.mark.parametrize("n, table", [(2, KN_BIGRAM), (3, KN_TRIGRAM)])
def test_kneser_ney_matches_a_hand_computation(n, table):
    model = NGramLM(n, smoothing="kneser-ney", discount=0.75).fit("abacab")
    for context, expected in table.items():
        for token, p in expected.items():
            assert model.prob(token, context) == pytest.approx(p, abs=1e-12), (context, token)


def test_unigram_kneser_ney_uses_raw_counts_at_the_top():
    model = NGramLM(1, smoothing="kneser-ney", discount=0.5).fit("aab")
    # (c − d)/N + d·|V seen|/N·1/|V|: a: 1.5/3 + 0.5·2/3·0.5, b: 0.5/3 + 0.5·2/3·0.5
    assert model.prob("a") == pytest.approx(1.5 / 3 + 1 / 6)
    assert model.prob("b") == pytest.approx(0.5 / 3 + 1 / 6)


@pytest.mark.parametrize("smoothing", ["mle", "add-k", "kneser-ney"])
@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_every_conditional_distribution_sums_to_one(smoothing, n):
    rng = np.random.default_rng(n)
    text = "".join(rng.choice(list("abcde"), p=[0.4, 0.3, 0.15, 0.1, 0.05], size=300))
    model = NGramLM(n, smoothing=smoothing, k=0.5).fit([text, "edcba"])
    for context in itertools.product(model.vocab, repeat=n - 1):
        distribution = model.distribution(context)
        assert distribution.sum() == pytest.approx(1.0, abs=1e-12), context
        assert (distribution >= 0).all()
    if smoothing != "mle":  # smoothed models give every token some probability
        assert (model.distribution(("e",) * (n - 1)) > 0).all()


def test_word_tokens_and_shorter_contexts():
    model = NGramLM(3, smoothing="kneser-ney").fit([words(s) for s in COWS_EAT])
    assert model.distribution(("eat",)).sum() == pytest.approx(1.0)
    assert model.distribution(()).sum() == pytest.approx(1.0)
    assert (
        model.prob("corn", ("cows", "eat"))
        > model.prob("grass", ("cows", "eat"))
        > model.prob("hay", ("cows", "eat"))
    )


def test_perplexity_of_a_uniform_model_is_the_vocabulary_size():
    model = NGramLM(1, smoothing="mle").fit("abcdefg" * 5)
    assert model.perplexity("gfedcbaaab") == pytest.approx(7.0)
    assert model.cross_entropy("abc") == pytest.approx(math.log(7))


def test_cross_entropy_is_the_mean_negative_log_probability():
    model = NGramLM(2, smoothing="add-k", k=1).fit("abacab")
    expected = -(math.log(model.prob("b", "a")) + math.log(model.prob("a", "b"))) / 2
    assert model.cross_entropy("ba", context="a") == pytest.approx(expected)


def test_sampling_rolls_the_weighted_die_with_a_seed():
    model = NGramLM(1, smoothing="mle").fit("a" * 60 + "b" * 30 + "c" * 10)
    text = model.sample(20000, seed=3)
    assert text == model.sample(20000, seed=3) and text != model.sample(20000, seed=4)
    frequencies = [text.count(c) / len(text) for c in "abc"]
    assert frequencies == pytest.approx([0.6, 0.3, 0.1], abs=0.015)


def test_sampling_a_bigram_model_follows_its_counts():
    model = NGramLM(2, smoothing="mle").fit("abcabcabc")
    assert model.sample(6, context="a", seed=0) == "bcabca"  # every transition is certain


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="smoothing"):
        NGramLM(2, smoothing="witten-bell")
    with pytest.raises(ValueError, match="positive integer"):
        NGramLM(0)
    with pytest.raises(RuntimeError, match="fit"):
        NGramLM(2).prob("a")
    with pytest.raises(KeyError, match="'z' is not in the vocabulary"):
        NGramLM(2).fit("ab").prob("z", "a")
