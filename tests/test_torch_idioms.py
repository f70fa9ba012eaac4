"""torch-style code run on chainrule with torch's import lines: ``import chainrule as torch``.

Written in the idioms of PyTorch's own examples (our code, not a copy): a small convnet trained
on a slice of MNIST as in the MNIST example, and a word-language-model-style LSTM trained with
a hand-written in-place SGD step as in the word_language_model example. Plus the top-level op
names that torch users type (``torch.cat``, ``torch.flatten`` …).
"""

import numpy as np
import pytest
import torch as real_torch

import chainrule as torch
import chainrule.nn as nn
import chainrule.nn.functional as F
import chainrule.optim as optim
from chainrule.data import MNIST, DatasetNotFoundError, transforms
from chainrule.optim.lr_scheduler import StepLR
from chainrule.utils.data import DataLoader, Subset

# torch.X whose torch form takes other arguments than chainrule.functional.X, so chainrule
# keeps them only under functional (see chainrule/__init__.py).
NOT_AT_TOP_LEVEL = {
    "dropout",
    "embedding",
    "batch_norm",
    "instance_norm",
    "binary_cross_entropy_with_logits",
    "kl_div",
    "cosine_embedding_loss",
    "margin_ranking_loss",
    "adaptive_max_pool1d",
    "rnn_tanh_cell",
    "rnn_relu_cell",
    "lstm_cell",
    "gru_cell",
    "rnn_tanh",
    "rnn_relu",
    "lstm",
    "gru",
}


def test_top_level_ops_are_the_functional_ops_torch_has_at_top_level():
    expected = {name for name in F.__all__ if hasattr(real_torch, name)} - NOT_AT_TOP_LEVEL
    missing = sorted(
        name for name in expected if getattr(torch, name, None) is not getattr(F, name)
    )
    assert not missing, f"torch has these at top level, chainrule does not: {missing}"


def test_top_level_ops_compute_what_torch_computes():
    x = np.random.default_rng(0).standard_normal((2, 3, 4))
    ours, theirs = torch.tensor(x), real_torch.tensor(x)
    for expression in (
        lambda t, m: m.flatten(t, 1),
        lambda t, m: m.cat([t, t], 2),
        lambda t, m: m.stack([t, t]),
        lambda t, m: m.where(t > 0, t, -t),
        lambda t, m: m.clamp(t, -0.5, 0.5),
        lambda t, m: m.exp(t),
        lambda t, m: m.einsum("bij,bkj->bik", t, t),
    ):
        np.testing.assert_allclose(
            expression(ours, torch).numpy(), expression(theirs, real_torch).numpy(), rtol=1e-12
        )


# -- the MNIST example's idioms --------------------------------------------------------------


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, 1)
        self.conv2 = nn.Conv2d(8, 16, 3, 1)
        self.dropout = nn.Dropout(0.25)
        self.fc1 = nn.Linear(16 * 5 * 5, 64)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(self.dropout(x)))
        return F.log_softmax(self.fc2(x), dim=1)


def _mnist(train):
    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize(0.1307, 0.3081)])
    try:
        return MNIST(train=train, transform=transform)
    except DatasetNotFoundError as error:
        pytest.skip(f"MNIST is not in the data root (set CHAINRULE_DATA): {error}")


def train(model, device, loader, optimizer):
    model.train()
    for data, target in loader:
        data, target = data.to(device), target.to(device)
        optimizer.zero_grad()
        loss = F.nll_loss(model(data), target)
        loss.backward()
        optimizer.step()


def test(model, device, loader):
    model.eval()
    test_loss, correct = 0.0, 0
    with torch.no_grad():
        for data, target in loader:
            data, target = data.to(device), target.to(device)
            output = model(data)
            test_loss += F.nll_loss(output, target, reduction="sum").item()
            pred = output.argmax(dim=1, keepdim=True)
            correct += pred.eq(target.view_as(pred)).sum().item()
    return test_loss / len(loader.dataset), correct / len(loader.dataset)


test.__test__ = False  # the example's name for evaluation, not a pytest test


def test_mnist_convnet_in_torch_idioms_learns_the_digits():
    torch.manual_seed(1)
    use_accel = torch.accelerator.is_available()
    device = torch.accelerator.current_accelerator() if use_accel else torch.device("cpu")
    train_loader = DataLoader(
        Subset(_mnist(True), range(6400)), batch_size=32, shuffle=True, seed=1
    )
    test_loader = DataLoader(Subset(_mnist(False), range(2000)), batch_size=500)
    model = Net().to(device)
    optimizer = optim.Adadelta(model.parameters(), lr=1.0)
    scheduler = StepLR(optimizer, step_size=1, gamma=0.7)
    for _ in range(2):  # epochs of 200 steps each
        train(model, device, train_loader, optimizer)
        loss, accuracy = test(model, device, test_loader)
        scheduler.step()
    assert accuracy > 0.9 and loss < 0.35, (accuracy, loss)


# -- the word_language_model example's idioms -----------------------------------------------


class RNNModel(nn.Module):
    def __init__(self, ntoken, ninp, nhid, nlayers, dropout=0.2):
        super().__init__()
        self.ntoken, self.nhid, self.nlayers = ntoken, nhid, nlayers
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = nn.LSTM(ninp, nhid, nlayers, dropout=dropout)
        self.decoder = nn.Linear(nhid, ntoken)
        self.init_weights()

    def init_weights(self):
        initrange = 0.1
        nn.init.uniform_(self.encoder.weight, -initrange, initrange)
        nn.init.zeros_(self.decoder.bias)
        nn.init.uniform_(self.decoder.weight, -initrange, initrange)

    def forward(self, input, hidden):
        emb = self.drop(self.encoder(input))
        output, hidden = self.rnn(emb, hidden)
        decoded = self.decoder(self.drop(output)).view(-1, self.ntoken)
        return F.log_softmax(decoded, dim=1), hidden

    def init_hidden(self, bsz):
        weight = next(iter(self.parameters()))
        return (
            weight.new_zeros(self.nlayers, bsz, self.nhid),
            weight.new_zeros(self.nlayers, bsz, self.nhid),
        )


def _corpus():
    """Word ids of a few thousand words: Shakespeare from the data root, or a stand-in text
    with structure enough to learn when it is absent."""
    root = torch.data.data_root(None)[0]
    path = None if root is None else root / "tinyshakespeare" / "input.txt"
    if path is not None and path.exists():
        words = path.read_text()[:30000].split()
    else:
        words = ("the cat sat on the mat and the dog sat on the log " * 300).split()
    vocabulary = {word: i for i, word in enumerate(dict.fromkeys(words))}
    return torch.tensor([vocabulary[w] for w in words]), len(vocabulary)


def batchify(data, bsz):
    nbatch = data.size(0) // bsz
    return data[: nbatch * bsz].view(bsz, -1).t().contiguous()


def get_batch(source, i, bptt):
    seq_len = min(bptt, len(source) - 1 - i)
    return source[i : i + seq_len], source[i + 1 : i + 1 + seq_len].reshape(-1)


def repackage_hidden(h):
    return h.detach() if isinstance(h, torch.Tensor) else tuple(repackage_hidden(v) for v in h)


def test_word_language_model_trained_by_in_place_sgd_lowers_its_loss():
    torch.manual_seed(2)
    ids, ntokens = _corpus()
    train_data = batchify(ids, 16)
    model = RNNModel(ntokens, 32, 64, 2)
    criterion = nn.NLLLoss()
    lr, bptt = 20.0, 20
    losses = []
    model.train()
    hidden = model.init_hidden(16)
    for _ in range(3):
        for i in range(0, train_data.size(0) - 1, bptt):
            data, targets = get_batch(train_data, i, bptt)
            model.zero_grad()
            hidden = repackage_hidden(hidden)
            output, hidden = model(data, hidden)
            loss = criterion(output, targets)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 0.25)
            with torch.no_grad():  # the example writes p.data.add_: chainrule's .data is the array
                for p in model.parameters():
                    p.add_(p.grad, alpha=-lr)
            losses.append(loss.item())
    first, last = np.mean(losses[:5]), np.mean(losses[-5:])
    assert np.isfinite(losses).all() and last < first - 0.5, (first, last)
