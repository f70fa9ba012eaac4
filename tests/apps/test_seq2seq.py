"""The translation app on a slice of Multi30k: `chainrule train seq2seq` trains, writes a run
folder that `chainrule translate` reads, and scores the test set with BLEU; the app's pieces
(batches, loss per word) against plain recomputations."""

import json
import os
from pathlib import Path

import numpy as np
import pytest

from chainrule.apps import seq2seq as app
from chainrule.cli import main
from chainrule.data.parallel import TranslationBatches
from chainrule.models.seq2seq import load_translator
from chainrule.train.metrics import bleu
from tests.train.conftest import MIRROR

TINY = [
    "--limit-train",
    "200",
    "--epochs",
    "2",
    "--embedding",
    "16",
    "--hidden",
    "16",
    "--batch-size",
    "16",
    "--lr",
    "0.01",
    "--max-len",
    "6",
]


@pytest.fixture(scope="module")
def data_dir():
    for root in (os.environ.get("CHAINRULE_DATA"), MIRROR):
        if root and (Path(root) / "multi30k" / "train.de.gz").is_file():
            return str(root)
    pytest.skip("Multi30k not found (set CHAINRULE_DATA to the data mirror)")


@pytest.fixture(scope="module")
def tiny_data(data_dir):
    config = app.Seq2SeqConfig(limit_train=200, data_dir=data_dir)
    return config, app.prepare_data(config)


def test_prepare_keeps_short_pairs_and_encodes_every_split(tiny_data):
    config, data = tiny_data
    sources, targets = data.train
    assert len(sources) == len(targets) == 200
    assert all(
        len(s) <= config.max_tokens + 2 and len(t) <= config.max_tokens + 2
        for s, t in zip(sources, targets)
    )  # + <bos> and <eos>
    assert len(data.val[0]) == 1014 and len(data.test[0]) == len(data.test_tokens[1]) == 1000
    first = data.target_vocab.decode(targets[0])
    assert all(word in data.target_vocab for word in first)


def test_evaluate_loss_is_the_mean_over_target_words(tiny_data):
    config, data = tiny_data
    model = app.build_model(app.Seq2SeqConfig(embedding=8, hidden=8), data)
    batches = list(TranslationBatches(*data.val, 64, 0, shuffle=False))[:3]
    model.eval()
    per_batch = [(model.loss(s, t).item(), int((t[1:] != 0).sum())) for s, t in batches]
    expected = sum(loss * words for loss, words in per_batch) / sum(w for _, w in per_batch)
    assert app.evaluate_loss(model, batches) == pytest.approx(expected, rel=1e-12)


def test_cli_trains_a_translator_that_translate_reads(data_dir, tmp_path, capsys):
    out = tmp_path / "run"
    assert (
        main(["train", "seq2seq", *TINY, "--beam", "2", "--data-dir", data_dir, "--out", str(out)])
        == 0
    )
    assert "test BLEU greedy" in capsys.readouterr().out
    metrics = json.loads((out / "metrics.json").read_text())
    history = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert [h["epoch"] for h in history] == [1, 2] and metrics["epochs"] == 2
    assert history[1]["val_loss"] < history[0]["val_loss"]
    assert 0 <= metrics["test_bleu_greedy"] <= 100 and 0 <= metrics["test_bleu_beam"] <= 100
    assert metrics["config"]["hidden"] == 16 and metrics["train_pairs"] == 200
    for name in ("config.json", "log.csv", "curves.png", "model.safetensors", "seq2seq.json"):
        assert (out / name).is_file(), name
    model, source_vocab, target_vocab = load_translator(out)
    assert model.config["hidden_size"] == 16 and len(source_vocab) > 4
    assert main(["translate", str(out), "Ein Hund läuft.", "--beam", "0", "--max-len", "6"]) == 0
    assert len(capsys.readouterr().out.split()) <= 6


def test_bleu_of_the_references_themselves_is_100(tiny_data):
    _, data = tiny_data
    references = data.test_tokens[1][:50]
    assert bleu(references, references) == pytest.approx(100)
    assert bleu([r[:1] for r in references], references) < 1
    assert np.isfinite(bleu(references[::-1], references))
