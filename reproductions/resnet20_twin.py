"""ResNet-20 on the mirror's CIFAR-10 JPEGs, chainrule beside a PyTorch twin, epoch by epoch.

The mirror's CIFAR-10 is JPEG, not the original pixels, so ResNet-20's test accuracy here
cannot be read against He et al.'s 91.25% as if the data were the same. This run separates the
framework from the data: both frameworks start from the same weights (chainrule's He
initialisation, copied into the twin), train on the same augmented batches (chainrule's
``DataLoader`` over ``chainrule train resnet20``'s data: per-channel normalisation, random
4-pixel-padded crops and flips, the last 5,000 training images held out) with the same recipe
(SGD, momentum 0.9, weight decay 10⁻⁴, lr 0.1, batch 128; ``--lr-schedule cosine`` anneals it to
0 over the epochs, as ``chainrule train --lr-schedule cosine``), and are measured after every
epoch on the held-out 5,000 and on the 10,000 test images. Curves that agree mean the gap to
the paper is the data and the epochs, not chainrule.

    CHAINRULE_DATA=../shared/data OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 \\
        .venv/bin/python reproductions/resnet20_twin.py --epochs 2

Writes ``results/NAME.json`` (``--name``, default ``resnet20_twin``; per epoch and framework:
training loss, validation and test accuracy, seconds) and ``results/NAME.png`` (the curves).
``--framework torch`` (or ``chainrule``) trains one of the two, so that each can have a process
and a core of its own: the seed gives both processes the same weights and batches, and each
adds its curves to ``NAME.json`` beside the other's, for the same configuration.
"""

import argparse
import fcntl
import json
import os
import time

import numpy as np
import torch

import chainrule as cr
from chainrule import data, models, random
from chainrule import functional as F
from chainrule.apps import classify
from chainrule.apps.common import LR_SCHEDULES, make_optimizer

RESULTS = os.path.join(os.path.dirname(__file__), "results")
FRAMEWORKS = ("chainrule", "torch")
TORCH_SCHEDULES = {  # chainrule's LR_SCHEDULES, in torch.optim
    "constant": lambda optimizer, epochs: None,
    "cosine": lambda optimizer, epochs: torch.optim.lr_scheduler.CosineAnnealingLR(
        optimizer, T_max=epochs
    ),
    "multistep": lambda optimizer, epochs: torch.optim.lr_scheduler.MultiStepLR(
        optimizer, milestones=[epochs // 2, epochs * 3 // 4], gamma=0.1
    ),
}


class TorchBasicBlock(torch.nn.Module):
    def __init__(self, in_channels, planes, stride):
        super().__init__()
        conv = torch.nn.Conv2d
        self.conv1 = conv(in_channels, planes, 3, stride, 1, bias=False)
        self.bn1 = torch.nn.BatchNorm2d(planes)
        self.conv2 = conv(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = torch.nn.BatchNorm2d(planes)
        self.stride, self.extra = stride, planes - in_channels

    def shortcut(self, x):  # option A: subsample, pad with zero maps
        x = x[:, :, :: self.stride, :: self.stride]
        return torch.nn.functional.pad(x, (0, 0, 0, 0, 0, self.extra)) if self.extra else x

    def forward(self, x):
        out = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(out)) + self.shortcut(x))


class TorchCifarResNet(torch.nn.Module):
    """He et al.'s CIFAR ResNet of depth 6n+2, parameter names as chainrule's."""

    def __init__(self, depth=20, num_classes=10):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.bn1 = torch.nn.BatchNorm2d(16)
        channels, blocks = 16, (depth - 2) // 6
        for index, (planes, stride) in enumerate(((16, 1), (32, 2), (64, 2)), start=1):
            stage = [TorchBasicBlock(channels, planes, stride)]
            stage += [TorchBasicBlock(planes, planes, 1) for _ in range(1, blocks)]
            setattr(self, f"layer{index}", torch.nn.Sequential(*stage))
            channels = planes
        self.fc = torch.nn.Linear(64, num_classes)

    def forward(self, x):
        x = torch.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(x.mean(dim=(2, 3)))


def twin_of(model):
    """The PyTorch twin holding ``model``'s parameters and batch-norm buffers."""
    twin = TorchCifarResNet(len(model.layer1) * 6 + 2, model.fc.out_features)
    if model.fc.weight.dtype == np.float64:
        twin.double()
    state = {k: torch.from_numpy(np.array(v.numpy())) for k, v in model.state_dict().items()}
    twin.load_state_dict(state)
    return twin


class Chainrule:
    def __init__(self, model, config):
        self.model = model
        self.optimizer = make_optimizer(
            config.optimizer, model.parameters(), config.lr, config.weight_decay
        )
        self.scheduler = LR_SCHEDULES[config.lr_schedule](self.optimizer, config.epochs)

    def step(self, x, y):
        self.model.train()
        loss = F.cross_entropy(self.model(cr.as_tensor(x)), cr.as_tensor(y))
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return loss.item()

    def accuracy(self, x, y):
        self.model.eval()
        with cr.no_grad():
            scores = [
                self.model(cr.as_tensor(x[i : i + 500])).numpy() for i in range(0, len(x), 500)
            ]
        return float((np.concatenate(scores).argmax(1) == y).mean())


class Torch:
    def __init__(self, twin, config):
        self.model = twin
        self.optimizer = torch.optim.SGD(
            twin.parameters(), lr=config.lr, momentum=0.9, weight_decay=config.weight_decay
        )
        self.scheduler = TORCH_SCHEDULES[config.lr_schedule](self.optimizer, config.epochs)

    def step(self, x, y):
        self.model.train()
        loss = torch.nn.functional.cross_entropy(
            self.model(torch.from_numpy(x)), torch.from_numpy(y)
        )
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return loss.item()

    def accuracy(self, x, y):
        self.model.eval()
        with torch.no_grad():
            scores = [self.model(torch.from_numpy(x[i : i + 500])) for i in range(0, len(x), 500)]
        return float((torch.cat(scores).argmax(1).numpy() == y).mean())


def arrays(split):
    """(images, labels) of a held split (a TensorDataset) as NumPy arrays."""
    x, y = split.arrays
    return np.asarray(x), np.asarray(y)


def compare(config, frameworks=FRAMEWORKS, log=print):
    """Train ``frameworks`` side by side for ``config.epochs``; one record per epoch each."""
    splits = classify.load_splits(config)
    random.manual_seed(config.seed)  # the initialisation, as chainrule train does
    model = models.build("resnet20", splits.input_shape, splits.num_classes)
    both = {"chainrule": Chainrule(model, config), "torch": Torch(twin_of(model), config)}
    trainers = {name: both[name] for name in frameworks}
    loader = data.DataLoader(
        splits.train, batch_size=config.batch_size, shuffle=True, seed=config.seed
    )
    val, test = arrays(splits.val), arrays(splits.test)
    history = {name: [] for name in trainers}
    for epoch in range(1, config.epochs + 1):
        losses = {name: [] for name in trainers}
        seconds = dict.fromkeys(trainers, 0.0)
        for x, y in loader:
            x, y = np.asarray(x.numpy()), np.asarray(y.numpy())
            for name, trainer in trainers.items():
                began = time.perf_counter()
                losses[name].append(trainer.step(x, y))
                seconds[name] += time.perf_counter() - began
        for name, trainer in trainers.items():
            if trainer.scheduler is not None:
                trainer.scheduler.step()
            record = {
                "epoch": epoch,
                "train_loss": float(np.mean(losses[name])),
                "val_accuracy": trainer.accuracy(*val),
                "test_accuracy": trainer.accuracy(*test),
                "train_seconds": round(seconds[name], 1),
            }
            history[name].append(record)
            log(f"{name} {json.dumps(record)}")
    return history


def draw(history, path):
    from chainrule.viz.figure import plt, save

    figure, (losses, accuracies) = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
    for (name, records), color in zip(history.items(), ("C0", "C1")):
        epochs = [r["epoch"] for r in records]
        losses.plot(epochs, [r["train_loss"] for r in records], "o-", color=color, label=name)
        for key, style in (("val_accuracy", "o-"), ("test_accuracy", "s--")):
            accuracies.plot(
                epochs,
                [100 * r[key] for r in records],
                style,
                color=color,
                label=f"{name} {key[:-9]}",
            )
    for ax in (losses, accuracies):
        ax.set_xticks(epochs)
    losses.set(xlabel="epoch", ylabel="training loss", title="ResNet-20, CIFAR-10 (JPEG)")
    accuracies.set(xlabel="epoch", ylabel="accuracy (%)", title="same init, same batches")
    losses.legend()
    accuracies.legend()
    save(figure, path)


def save(path, config, history):
    """Write ``history`` to the JSON file ``path`` beside the other framework's curves already
    there, if they were trained with the same ``config``; return what was written. The file is
    held locked from reading to writing, so two processes ending together both land."""
    with open(path, "a+") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        f.seek(0)
        text = f.read()
        earlier = json.loads(text) if text else {}
        result = {"config": config}
        if earlier.get("config") == config:
            result.update({name: earlier[name] for name in FRAMEWORKS if name in earlier})
        result.update(history)
        f.seek(0)
        f.truncate()
        json.dump(result, f, indent=2)
        f.write("\n")
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--limit-train", type=int, default=None)
    parser.add_argument("--lr-schedule", choices=sorted(TORCH_SCHEDULES), default="constant")
    parser.add_argument("--framework", choices=FRAMEWORKS, help="train only this one")
    parser.add_argument("--name", default="resnet20_twin", help="results/NAME.json and .png")
    args = parser.parse_args()
    recipe = {**models.RECIPES["resnet20"], "epochs": args.epochs, "lr_schedule": args.lr_schedule}
    config = classify.RunConfig(model="resnet20", **recipe, limit_train=args.limit_train)
    history = compare(config, (args.framework,) if args.framework else FRAMEWORKS)
    path = os.path.join(RESULTS, f"{args.name}.json")
    result = save(path, {k: v for k, v in vars(config).items() if k != "data_dir"}, history)
    draw({name: result[name] for name in FRAMEWORKS if name in result}, path[:-4] + "png")


if __name__ == "__main__":
    main()
