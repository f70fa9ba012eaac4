"""The CNN zoo on this CPU: one forward + backward pass of every ``models.zoo`` network at its
native input size (batch 1), chainrule against the same network in PyTorch, and ResNet-20's
training throughput on CIFAR-10 (batch 128).

    .venv/bin/python benchmarks/bench_zoo.py                       # every model (~10 minutes)
    .venv/bin/python benchmarks/bench_zoo.py --models resnet20 nin-cifar10 --repeats 5
    .venv/bin/python benchmarks/bench_zoo.py --json zoo.json       # also write the figures
    .venv/bin/python benchmarks/bench_zoo.py --clock cpu           # on a busy machine

The PyTorch twin has chainrule's weights (copied through ``state_dict``; the names are the same):
``torchvision`` where torchvision has the model (AlexNet, VGG-11/13/16/19 ± BN, GoogLeNet in its
torchvision form, ResNet-18…152 — for the 50/101/152 bottlenecks, with the stride moved back to
the first 1×1 convolution as in the paper and chainrule's model), else the same layers built in
``torch.nn`` (AlexNet as the paper, ZF Net, VGG A-LRN and C ± BN, NIN: their layers are all
torch's; the CIFAR ResNets: ``TorchCifarResNet`` below). GoogLeNet as the paper runs in chainrule
only.

Method: one thread per framework (threadpoolctl for NumPy's BLAS, ``torch.set_num_threads(1)``),
chainrule's malloc policy on (as in ``chainrule train``). Time: in one subprocess per model, a
warm-up pass of each, then ``--repeats`` rounds, each timing one pass of each framework,
alternating which goes first, 0.2 s of sleep before each; the figure is the median, of wall
time or (``--clock cpu``, for a machine busy with other work) of the process's CPU time, which
with one thread per framework is the time of the work alone. Memory: a
fresh subprocess per model and framework builds the model, then resets the kernel's peak
resident-set counter (``/proc/self/clear_refs``), runs one forward + backward and reports the
peak (``VmHWM``) minus the resident set just before: the activations, gradients and workspace of
the pass, above the weights. ResNet-20 training: steps of forward, cross-entropy, backward and
SGD (momentum 0.9, weight decay 1e-4) on 128 CIFAR-10 training images (the mirror's, random
pixels where it is absent), augmentation and data loading left out; blocks of steps alternate
between the frameworks as above; images/s and the epoch of 50,000 images this implies.
"""

import argparse
import gc
import importlib
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import types

import numpy as np
import torch
from threadpoolctl import threadpool_limits

import chainrule as cr
from chainrule import functional as F
from chainrule.apps import classify
from chainrule.errors import ChainruleError
from chainrule.kernels import memory
from chainrule.models import zoo

TAGS = ("MEMORY_MB", "TIMES_S", "MODEL")
CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


# -- the PyTorch twins ---------------------------------------------------------------------------


def torchvision_models():
    """``torchvision.models`` without torchvision's compiled operators (which the CPU build of
    PyTorch cannot register; the model definitions do not need them)."""
    if "torchvision" not in sys.modules:
        spec = importlib.util.find_spec("torchvision")
        package = types.ModuleType("torchvision")
        package.__path__ = list(spec.submodule_search_locations)
        sys.modules["torchvision"] = package
    return importlib.import_module("torchvision.models")


TORCHVISION_NAMES = {
    "alexnet": "alexnet",
    "googlenet-torchvision": "googlenet",
    **{f"resnet{d}": f"resnet{d}" for d in (18, 34, 50, 101, 152)},
    **{ours: theirs for theirs, ours in zoo.ALIASES.items()},
}


def torch_twin(name, model):
    """(the PyTorch network sharing ``model``'s weight arrays, where it comes from), or (None,
    None). It is built on the meta device (no initialisation) and given the arrays."""
    if name == "googlenet":
        return None, None
    with torch.device("meta"):
        if name in TORCHVISION_NAMES:
            twin, source = _from_torchvision(name), "torchvision"
        elif name.startswith("resnet"):
            twin, source = TorchCifarResNet(len(model.layer1)), "built in torch"
        else:
            twin, source = _layers_in_torch(model), "built in torch"
    state = {k: torch.from_numpy(v.numpy()) for k, v in model.state_dict().items()}
    twin.load_state_dict(state, assign=True)
    return twin, source


def _from_torchvision(name):
    models = torchvision_models()
    options = {"aux_logits": False, "init_weights": False} if name.startswith("googlenet") else {}
    twin = getattr(models, TORCHVISION_NAMES[name])(**options)
    for block in twin.modules():  # the paper's ResNet-50/101/152 stride in the first 1×1
        if type(block).__name__ == "Bottleneck" and block.conv2.stride == (2, 2):
            block.conv1.stride, block.conv2.stride = (2, 2), (1, 1)
    return twin


def _layers_in_torch(module):
    """The same layers in ``torch.nn``, for a network of chainrule's standard layers."""
    kind = type(module).__name__
    children = [_layers_in_torch(child) for child in module._modules.values()]
    if kind == "Sequential":
        return torch.nn.Sequential(*children)
    if kind == "_FeaturesAndClassifier":
        return TorchFeaturesAndClassifier(*children)
    if kind == "Conv2d":
        return torch.nn.Conv2d(
            module.in_channels,
            module.out_channels,
            module.kernel_size,
            module.stride,
            module.padding,
            module.dilation,
            module.groups,
            bias=module.bias is not None,
        )
    simple = {
        "ReLU": lambda: torch.nn.ReLU(),
        "Identity": lambda: torch.nn.Identity(),
        "Flatten": lambda: torch.nn.Flatten(module.start_dim, module.end_dim),
        "Dropout": lambda: torch.nn.Dropout(module.p),
        "Linear": lambda: torch.nn.Linear(module.in_features, module.out_features),
        "BatchNorm2d": lambda: torch.nn.BatchNorm2d(module.num_features, module.eps),
        "AdaptiveAvgPool2d": lambda: torch.nn.AdaptiveAvgPool2d(module.output_size),
        "LocalResponseNorm": lambda: torch.nn.LocalResponseNorm(
            module.size, module.alpha, module.beta, module.k
        ),
        "MaxPool2d": lambda: torch.nn.MaxPool2d(
            module.kernel_size, module.stride, module.padding, ceil_mode=module.ceil_mode
        ),
        "AvgPool2d": lambda: torch.nn.AvgPool2d(
            module.kernel_size, module.stride, module.padding, ceil_mode=module.ceil_mode
        ),
    }
    return simple[kind]()


class TorchFeaturesAndClassifier(torch.nn.Module):
    """chainrule's ``features``, ``avgpool``, flatten, ``classifier`` layout (AlexNet, VGG)."""

    def __init__(self, features, avgpool, classifier):
        super().__init__()
        self.features, self.avgpool, self.classifier = features, avgpool, classifier

    def forward(self, x):
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


class TorchCifarBlock(torch.nn.Module):
    """He et al.'s CIFAR block with the option-A shortcut (subsample, add zero maps)."""

    def __init__(self, in_channels, planes, stride):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(in_channels, planes, 3, stride, 1, bias=False)
        self.bn1 = torch.nn.BatchNorm2d(planes)
        self.conv2 = torch.nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = torch.nn.BatchNorm2d(planes)
        self.stride, self.extra_channels = stride, planes - in_channels

    def forward(self, x):
        out = self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x)))))
        shortcut = x[:, :, :: self.stride, :: self.stride]
        if self.extra_channels:
            n, _, h, w = shortcut.shape
            zeros = shortcut.new_zeros(n, self.extra_channels, h, w)
            shortcut = torch.cat([shortcut, zeros], 1)
        return torch.relu(out + shortcut)


class TorchCifarResNet(torch.nn.Module):
    """He et al.'s CIFAR ResNet with the names of chainrule's ``CifarResNet``, in ``torch.nn``."""

    def __init__(self, blocks_per_stage, num_classes=10):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.bn1 = torch.nn.BatchNorm2d(16)
        channels, stages = 16, []
        for planes, stride in ((16, 1), (32, 2), (64, 2)):
            blocks = [TorchCifarBlock(channels, planes, stride)]
            blocks += [TorchCifarBlock(planes, planes, 1) for _ in range(1, blocks_per_stage)]
            stages.append(torch.nn.Sequential(*blocks))
            channels = planes
        self.layer1, self.layer2, self.layer3 = stages
        self.fc = torch.nn.Linear(64, num_classes)

    def forward(self, x):
        x = torch.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(x.mean(dim=(2, 3)))


# -- one pass, timed or measured ------------------------------------------------------------------


def _passes(name, frameworks):
    """{framework: a function running forward + backward of one image of the model's native
    size} for the ``frameworks`` asked for and available, and a description of the model."""
    model, size = zoo.build(name)
    twin, source = torch_twin(name, model) if "torch" in frameworks else (None, None)
    about = {"parameters": sum(p.numel() for p in model.parameters()), "torch_twin": source}
    x = np.random.default_rng(0).standard_normal((1, *size)).astype(np.float32)
    passes = {}
    if "chainrule" in frameworks:

        def chainrule_pass():
            model.zero_grad()
            model(cr.tensor(x)).sum().backward()

        passes["chainrule"] = chainrule_pass
    else:
        del model
    if twin is not None:

        def torch_pass():
            twin.zero_grad()
            twin(torch.from_numpy(x)).sum().backward()

        passes["torch"] = torch_pass
    return passes, about


def _single_threaded(threads):
    """Both frameworks on ``threads`` threads, chainrule's malloc policy on."""
    torch.set_num_threads(threads)
    memory.keep_freed_memory()
    return threadpool_limits(threads, user_api="blas")


def _interleaved(contestants, repeats, clock):
    """{name: seconds of each of ``repeats`` calls}, after a warm-up call of each; each round
    calls every contestant once, the order alternating, 0.2 s of sleep before each call."""
    for run in contestants.values():
        run()
    seconds = {name: [] for name in contestants}
    for round_ in range(repeats):
        for name in list(contestants)[:: 1 if round_ % 2 == 0 else -1]:
            time.sleep(0.2)
            started = clock()
            contestants[name]()
            seconds[name].append(clock() - started)
    return seconds


def _time_model(name, repeats, threads, clock):
    with _single_threaded(threads):
        passes, about = _passes(name, ("chainrule", "torch"))
        seconds = _interleaved(passes, repeats, CLOCKS[clock])
    print("MODEL", json.dumps(about))
    print("TIMES_S", json.dumps(seconds))


def _measure_memory(name, framework, threads):
    """The peak resident memory of one pass above the resident set before it, in MB."""
    with _single_threaded(threads):
        passes, _ = _passes(name, (framework,))
        gc.collect()
        before = _status_kb("VmRSS")
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # resets VmHWM, the peak, to the current resident set
        passes[framework]()
        print("MEMORY_MB", json.dumps((_status_kb("VmHWM") - before) / 1024))


def _status_kb(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"/proc/self/status has no {field}")


# -- ResNet-20 training throughput --------------------------------------------------------------


def _training_throughput(steps, repeats, threads, clock):
    with _single_threaded(threads):
        images, labels, source = _cifar_batch(128)
        model, _ = zoo.build("resnet20")
        twin, _ = torch_twin("resnet20", model)
        optimizer = cr.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
        torch_optimizer = torch.optim.SGD(
            twin.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4
        )
        x, y = cr.tensor(images), cr.tensor(labels)
        tx, ty = torch.from_numpy(images), torch.from_numpy(labels)

        def chainrule_steps():
            for _ in range(steps):
                optimizer.zero_grad()
                F.cross_entropy(model(x), y).backward()
                optimizer.step()

        def torch_steps():
            for _ in range(steps):
                torch_optimizer.zero_grad()
                torch.nn.functional.cross_entropy(twin(tx), ty).backward()
                torch_optimizer.step()

        contestants = {"chainrule": chainrule_steps, "torch": torch_steps}
        seconds = _interleaved(contestants, repeats, CLOCKS[clock])
    per_second = {k: 128 * steps / statistics.median(v) for k, v in seconds.items()}
    return {
        "batch": 128,
        "data": source,
        "images_per_second": per_second,
        "epoch_minutes": {k: 50000 / v / 60 for k, v in per_second.items()},
    }


def _cifar_batch(size):
    """The first ``size`` training images of CIFAR-10 (normalised), or random ones."""
    try:
        config = classify.RunConfig(dataset="cifar10", limit_train=size, val_size=0)
        images, labels = classify.load_splits(config).train.arrays
        return np.asarray(images), np.asarray(labels), "CIFAR-10 training images"
    except ChainruleError as error:  # no data: the speed does not depend on the pixels
        print(f"(CIFAR-10 not found: {error}; random pixels)", file=sys.stderr)
        rng = np.random.default_rng(0)
        images = rng.standard_normal((size, 3, 32, 32)).astype(np.float32)
        return images, rng.integers(0, 10, size), "random pixels"


# -- the parent: subprocesses, table --------------------------------------------------------------


def _child(arguments):
    """Run this script with ``arguments`` in a fresh interpreter; return its tagged output."""
    done = subprocess.run(
        [sys.executable, __file__, *arguments], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(arguments)} failed:\n{done.stderr[-2000:]}")
    return {
        line.split(" ", 1)[0]: json.loads(line.split(" ", 1)[1])
        for line in done.stdout.splitlines()
        if line.startswith(TAGS)
    }


def measure(name, repeats, threads, clock):
    """The model's row: median seconds and peak MB of one forward + backward per framework."""
    options = ["--repeats", str(repeats), "--threads", str(threads), "--clock", clock]
    timed = _child(["--child-time", name, *options])
    row = {"model": name, **timed["MODEL"]}
    for framework, seconds in timed["TIMES_S"].items():
        peak = _child(["--child-memory", name, framework, "--threads", str(threads)])
        row[framework] = {"seconds": statistics.median(seconds), "peak_mb": peak["MEMORY_MB"]}
    return row


def _format_row(row):
    """A line of the Markdown table; the ratio is chainrule's time over PyTorch's."""
    ours, theirs = row["chainrule"], row.get("torch")
    cells = [row["model"], f"{row['parameters'] / 1e6:.2f}M"]
    cells += [f"{ours['seconds']:.3f}", f"{ours['peak_mb']:.0f}"]
    if theirs:
        ratio = ours["seconds"] / theirs["seconds"]
        cells += [f"{theirs['seconds']:.3f}", f"{theirs['peak_mb']:.0f}", f"{ratio:.2f}"]
    else:
        cells += ["–", "–", "–"]
    cells.append(row["torch_twin"] or "none")
    return "| " + " | ".join(cells) + " |"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="+", default=list(zoo.ARCHITECTURES))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="wall")
    parser.add_argument("--train-steps", type=int, default=3, help="ResNet-20 steps per block")
    parser.add_argument("--json", default=None, help="also write the figures to this file")
    parser.add_argument("--child-time", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--child-memory", nargs=2, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.clock == "cpu" and args.threads != 1:
        parser.error("--clock cpu needs --threads 1 (idle-spinning worker threads count as CPU)")
    if args.child_time:
        return _time_model(args.child_time, args.repeats, args.threads, args.clock)
    if args.child_memory:
        return _measure_memory(*args.child_memory, args.threads)
    started = time.perf_counter()
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, ", end="")
    print(
        f"{args.threads} thread(s) per framework, {args.repeats} rounds, {args.clock} clock, ",
        end="",
    )
    print(f"load average {os.getloadavg()[0]:.1f}")
    print(
        "| model | params | chainrule s | chainrule MB | torch s | torch MB | "
        "time chainrule/torch | torch twin |"
    )
    print("|---|---|---|---|---|---|---|---|")
    rows = []
    for name in args.models:
        rows.append(measure(name, args.repeats, args.threads, args.clock))
        print(_format_row(rows[-1]), flush=True)
    training = _training_throughput(args.train_steps, args.repeats, args.threads, args.clock)
    print(
        f"ResNet-20 training, batch 128 ({training['data']}): "
        + ", ".join(
            f"{k} {v:.0f} images/s ({training['epoch_minutes'][k]:.1f} min per 50,000)"
            for k, v in training["images_per_second"].items()
        )
    )
    print(f"({time.perf_counter() - started:.0f} s in all, load average {os.getloadavg()[0]:.1f})")
    if args.json:
        settings = {k: getattr(args, k) for k in ("repeats", "threads", "clock", "train_steps")}
        with open(args.json, "w") as f:
            figures = {"settings": settings, "passes": rows, "resnet20_training": training}
            json.dump(figures, f, indent=2)


if __name__ == "__main__":
    main()
