"""Loss modules against torch.nn (value and input gradient; weights as persistent buffers)."""

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import nn

from .torch_oracle import assert_moves_to_torch, run_both

rng = np.random.default_rng(0)
LOGITS = rng.standard_normal((6, 4))
CLASSES = rng.integers(0, 4, 6)
PROBS = rng.uniform(0.05, 0.95, (6, 4))
BITS = rng.integers(0, 2, (6, 4)).astype(np.float64)
CLASS_WEIGHT = rng.uniform(0.5, 2, 4)
TARGETS = rng.standard_normal((6, 4))
DISTRIBUTIONS = PROBS / PROBS.sum(1, keepdims=True)
PAIR_LABELS = np.array([1, -1, 1, -1, -1, 1])
SIGNS = PAIR_LABELS.astype(np.float64)


def log_softmax(z):
    return z - np.log(np.exp(z).sum(1, keepdims=True))


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides")  # torch's KLDivLoss notice
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize(
    "name, kwargs, inputs",
    [
        ("MSELoss", {}, (LOGITS, PROBS)),
        ("CrossEntropyLoss", {}, (LOGITS, CLASSES)),
        ("CrossEntropyLoss", {"weight": CLASS_WEIGHT, "ignore_index": 1}, (LOGITS, CLASSES)),
        ("CrossEntropyLoss", {"label_smoothing": 0.1}, (LOGITS, CLASSES)),
        ("NLLLoss", {}, (log_softmax(LOGITS), CLASSES)),
        ("NLLLoss", {"weight": CLASS_WEIGHT}, (log_softmax(LOGITS), CLASSES)),
        ("BCELoss", {}, (PROBS, BITS)),
        ("BCELoss", {"weight": CLASS_WEIGHT}, (PROBS, BITS)),
        ("BCEWithLogitsLoss", {}, (LOGITS, BITS)),
        ("BCEWithLogitsLoss", {"pos_weight": CLASS_WEIGHT, "weight": CLASS_WEIGHT}, (LOGITS, BITS)),
        (
            "CrossEntropyLoss",
            {"weight": CLASS_WEIGHT, "label_smoothing": 0.2},
            (LOGITS, DISTRIBUTIONS),
        ),
        ("L1Loss", {}, (LOGITS, TARGETS)),
        ("SmoothL1Loss", {}, (LOGITS, TARGETS)),
        ("SmoothL1Loss", {"beta": 0.5}, (LOGITS, TARGETS)),
        ("HuberLoss", {"delta": 0.5}, (LOGITS, TARGETS)),
        ("KLDivLoss", {}, (log_softmax(LOGITS), DISTRIBUTIONS)),
        ("KLDivLoss", {"log_target": True}, (log_softmax(LOGITS), log_softmax(TARGETS))),
        ("CosineEmbeddingLoss", {"margin": -0.2}, (LOGITS, TARGETS, PAIR_LABELS)),
        ("MarginRankingLoss", {"margin": 0.3}, (LOGITS[:, 0], TARGETS[:, 0], SIGNS)),
    ],
)
def test_loss_matches_torch(name, kwargs, inputs, reduction):
    ours = getattr(nn, name)(
        **{k: _tensor(v, "cr") for k, v in kwargs.items()}, reduction=reduction
    )
    theirs = getattr(torch.nn, name)(
        **{k: _tensor(v, "torch") for k, v in kwargs.items()}, reduction=reduction
    )
    assert repr(ours) == repr(theirs)
    run_both(ours, theirs, *inputs)


def _tensor(value, lib):
    if not isinstance(value, np.ndarray):
        return value
    return cr.tensor(value) if lib == "cr" else torch.tensor(value)


def test_class_weight_is_a_saved_buffer_like_torch():
    ours = nn.CrossEntropyLoss(weight=cr.ones(3))
    theirs = torch.nn.CrossEntropyLoss(weight=torch.ones(3))
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["weight"]
    assert_moves_to_torch(ours, theirs)


def test_bad_reduction_is_an_error():
    with pytest.raises(ValueError, match="reduction must be"):
        nn.MSELoss(reduction="average")


def test_kl_div_batchmean_matches_torch():
    ours, theirs = nn.KLDivLoss(reduction="batchmean"), torch.nn.KLDivLoss(reduction="batchmean")
    run_both(ours, theirs, log_softmax(LOGITS), DISTRIBUTIONS)


@pytest.mark.parametrize(
    "kwargs, shapes", [({}, ((6, 4), (6, 4))), ({"dim": -1, "eps": 1e-3}, ((2, 1, 4), (3, 4)))]
)
def test_cosine_similarity_matches_torch(kwargs, shapes):
    ours, theirs = nn.CosineSimilarity(**kwargs), torch.nn.CosineSimilarity(**kwargs)
    assert repr(ours) == repr(theirs)
    run_both(ours, theirs, *[rng.standard_normal(shape) for shape in shapes])


@pytest.mark.parametrize(
    "name",
    [
        "L1Loss",
        "SmoothL1Loss",
        "KLDivLoss",
        "CosineEmbeddingLoss",
        "MarginRankingLoss",
        "CrossEntropyLoss",
    ],
)
def test_a_torch_keyword_chainrule_lacks_is_an_error_naming_it(name):
    with pytest.raises(TypeError, match="size_average"):
        getattr(nn, name)(size_average=False)
