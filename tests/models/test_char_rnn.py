"""Character-level LM: vocabulary, BPTT batches as training sees them, training lowers the loss,
loss and gradients equal PyTorch's with copied weights, sampling (seed, top-k, temperature), and
``chainrule train char-lm`` / ``chainrule sample`` end to end with their error messages."""

import json

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.apps import char_lm as lm
from chainrule.cli import main
from chainrule.models.char_rnn import CharRNN, Vocabulary, next_char_distribution, sample
from chainrule.nn.utils.bptt import BPTTBatches

TEXT = (
    "First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n\n"
    "First Citizen:\nYou are all resolved rather to die than to famish?\n\n"
) * 8


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text(TEXT, encoding="utf-8")
    return str(path)


def test_vocabulary_round_trip(tmp_path):
    vocab = Vocabulary.from_text(TEXT)
    assert vocab.chars == sorted(set(TEXT)) and len(vocab) == len(set(TEXT))
    ids = vocab.encode(TEXT)
    assert ids.dtype == np.int64 and vocab.decode(ids) == TEXT
    vocab.save(tmp_path / "vocab.json")
    assert Vocabulary.load(tmp_path / "vocab.json").chars == vocab.chars
    with pytest.raises(ValueError, match="not in the vocabulary: 'é'"):
        vocab.encode("café")


def test_training_batches_continue_each_stream_and_targets_are_the_next_character():
    config = lm.LMConfig(batch_size=4, seq_len=7)
    ids = Vocabulary.from_text(TEXT).encode(TEXT)
    chunks = list(BPTTBatches(ids, config.batch_size, config.seq_len))
    inputs = np.concatenate([x.numpy() for x, _ in chunks])  # (time, streams)
    targets = np.concatenate([y.numpy() for _, y in chunks])
    length = len(ids) // config.batch_size
    for column in range(config.batch_size):
        stream = ids[column * length : (column + 1) * length]
        assert (inputs[:, column] == stream[:-1]).all()
        assert (targets[:, column] == stream[1:]).all()


def _torch_twin(model, vocab_size):
    class Twin(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = torch.nn.Embedding(vocab_size, model.embed.embedding_dim)
            self.rnn = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[
                model.cell
            ](model.embed.embedding_dim, model.rnn.hidden_size, model.rnn.num_layers)
            self.head = torch.nn.Linear(model.rnn.hidden_size, vocab_size)

        def forward(self, inputs, hidden=None):
            output, hidden = self.rnn(self.embed(inputs), hidden)
            return self.head(output), hidden

    twin = Twin().double()
    twin.load_state_dict(
        {k: torch.from_numpy(v.numpy().copy()) for k, v in model.state_dict().items()}
    )
    return twin


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_loss_and_gradients_equal_torch_with_copied_weights(cell):
    vocab = Vocabulary.from_text(TEXT)
    cr.manual_seed(0)
    ours = CharRNN(len(vocab), cell=cell, hidden_size=12, num_layers=2, embedding_dim=5).to(
        cr.float64
    )
    theirs = _torch_twin(ours, len(vocab))
    first, second = list(BPTTBatches(vocab.encode(TEXT[:200]), 3, 9))[:2]
    hidden_ours, hidden_theirs = None, None
    for inputs, targets in (first, second):  # the state carries over, cut from the graph
        if hidden_ours is not None:
            hidden_ours = lm.detach_hidden(hidden_ours)
            hidden_theirs = (
                tuple(h.detach() for h in hidden_theirs)
                if cell == "lstm"
                else hidden_theirs.detach()
            )
        logits, hidden_ours = ours(inputs, hidden_ours)
        loss = ours.loss(logits, targets)
        t_logits, hidden_theirs = theirs(torch.from_numpy(inputs.numpy()), hidden_theirs)
        t_loss = torch.nn.functional.cross_entropy(
            t_logits.reshape(-1, len(vocab)), torch.from_numpy(targets.numpy()).reshape(-1)
        )
        for p in ours.parameters():
            p.grad = None
        theirs.zero_grad()
        loss.backward()
        t_loss.backward()
        assert float(loss.data) == pytest.approx(t_loss.item(), rel=1e-12)
        for name, p in ours.named_parameters():
            np.testing.assert_allclose(
                p.grad.numpy(),
                dict(theirs.named_parameters())[name].grad.numpy(),
                rtol=1e-8,
                atol=1e-12,
                err_msg=name,
            )


def test_a_few_training_steps_lower_the_loss(corpus, tmp_path):
    config = lm.LMConfig(
        corpus=corpus, hidden=32, layers=1, seq_len=16, batch_size=4, epochs=3, lr=1e-2
    )
    metrics = lm.train_lm(config, str(tmp_path / "run"), progress=False)
    history = [json.loads(line) for line in open(tmp_path / "run" / "log.jsonl")]
    uniform = np.log(len(set(TEXT)))
    assert history[0]["val_loss"] < uniform
    assert history[-1]["val_loss"] < history[0]["val_loss"] - 0.3
    assert metrics["val_loss"] == history[-1]["val_loss"] and metrics["epochs"] == 3


class ConstantModel:
    """A stand-in network whose next-character logits never change."""

    training = False

    def __init__(self, logits):
        self.logits = np.asarray(logits, dtype=np.float32)

    def eval(self):
        pass

    def train(self, mode=True):
        pass

    def __call__(self, inputs, hidden=None):
        steps = inputs.shape[0]
        return cr.tensor(np.broadcast_to(self.logits, (steps, 1, len(self.logits)))), hidden


def test_sampling_respects_top_k_and_is_reproducible_with_a_seed():
    vocab = Vocabulary("abcdef")
    model = ConstantModel([0.5, 3.0, 0.1, 2.0, 2.5, 0.0])  # top 3: b, e, d
    text = sample(model, vocab, "a", 3000, temperature=1.5, top_k=3, seed=7)
    assert set(text[1:]) == {"b", "d", "e"}
    assert text == sample(model, vocab, "a", 3000, temperature=1.5, top_k=3, seed=7)
    assert text != sample(model, vocab, "a", 3000, temperature=1.5, top_k=3, seed=8)
    weights = np.exp(np.array([3.0, 2.0, 2.5]) / 1.5)
    frequencies = [text[1:].count(c) / 3000 for c in "bde"]
    assert frequencies == pytest.approx(weights / weights.sum(), abs=0.03)


def test_low_temperature_approaches_the_argmax():
    logits = np.array([1.0, 2.9, 3.0, -1.0])
    assert next_char_distribution(logits, 1.0) == pytest.approx(
        torch.softmax(torch.tensor(logits), 0).numpy()
    )
    for temperature, floor in ((0.1, 0.7), (0.01, 0.9999)):
        assert next_char_distribution(logits, temperature)[2] > floor
    vocab = Vocabulary("wxyz")
    assert sample(ConstantModel(logits), vocab, "w", 50, temperature=1e-3, seed=1) == "w" + "y" * 50
    with pytest.raises(ValueError, match="temperature must be positive"):
        next_char_distribution(logits, 0)


def test_top_k_keeps_only_the_k_largest():
    distribution = next_char_distribution(np.array([0.0, 5.0, 1.0, 4.0]), top_k=2)
    assert distribution[[0, 2]].tolist() == [0.0, 0.0] and distribution.sum() == pytest.approx(1)


def test_cli_trains_samples_and_resumes(corpus, tmp_path, capsys):
    out = str(tmp_path / "run")
    options = [
        "--corpus",
        corpus,
        "--cell",
        "gru",
        "--layers",
        "1",
        "--hidden",
        "24",
        "--seq-len",
        "12",
        "--batch-size",
        "4",
        "--steps",
        "15",
        "--lr",
        "0.01",
        "--clip",
        "5",
        "--out",
        out,
        "--no-progress",
    ]
    assert main(["train", "char-lm", "--epochs", "40", *options[:-1]]) == 0
    for name in (
        "config.json",
        "vocab.json",
        "log.csv",
        "log.jsonl",
        "metrics.json",
        "checkpoints/last.ckpt",
        "checkpoints/best.ckpt",
    ):
        assert (tmp_path / "run" / name).is_file(), name
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["config"]["cell"] == "gru" and metrics["steps"] == 15
    printed = capsys.readouterr()
    assert "nats/char" in printed.out
    assert "epoch 1/1:" in printed.err and "/40" not in printed.err  # 15 steps end epoch 1
    command = [
        "sample",
        out,
        "--prime",
        "First",
        "--length",
        "80",
        "--temperature",
        "0.8",
        "--top-k",
        "5",
        "--seed",
        "3",
    ]
    assert main(command) == 0
    first = capsys.readouterr().out
    assert main(command) == 0
    assert capsys.readouterr().out == first and first.startswith("First")
    assert len(first.rstrip("\n")) == len("First") + 80
    assert (
        main(
            [
                "train",
                "char-lm",
                "--epochs",
                "2",
                *options[:-5],
                "--steps",
                "30",
                *options[-3:],
                "--resume",
            ]
        )
        == 0
    )
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["resumed_from_epoch"] == 1 and metrics["steps"] == 30


def test_cli_errors_are_sentences(tmp_path, capsys):
    assert main(["train", "char-lm", "--corpus", "shakespeare", "--out", str(tmp_path)]) == 2
    error = capsys.readouterr().err
    assert "tinyshakespeare, c-code" in error and "shakespeare" in error
    missing = tmp_path / "nowhere.txt"
    assert main(["train", "char-lm", "--corpus", str(missing), "--out", str(tmp_path)]) == 2
    assert str(missing) in capsys.readouterr().err
    assert main(["sample", str(tmp_path / "no-run")]) == 2
    assert "not a chainrule run folder" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:  # a char-lm option given to the classifier
        main(["train", "mlp", "--hidden", "8", "--out", str(tmp_path)])
    assert exit_info.value.code == 2 and "--hidden" in capsys.readouterr().err


def test_resuming_with_more_epochs_stretches_the_cosine(corpus, tmp_path):
    options = dict(
        corpus=corpus,
        hidden=8,
        layers=1,
        seq_len=16,
        batch_size=4,
        steps=None,
        lr=0.01,
        lr_schedule="cosine",
    )
    out = str(tmp_path / "run")
    lm.train_lm(lm.LMConfig(epochs=2, **options), out, progress=False)
    lm.train_lm(lm.LMConfig(epochs=4, **options), out, resume=True, progress=False)
    lrs = [json.loads(line)["lr"] for line in open(tmp_path / "run" / "log.jsonl")]
    # epochs 1-2 on cos over 2 epochs; epochs 3-4 on cos over 4: lr·(1 + cos(π·e/4))/2
    assert lrs == pytest.approx([0.01, 0.005, 0.005, 0.01 * (1 + np.cos(3 * np.pi / 4)) / 2])
