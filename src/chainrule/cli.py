"""The ``chainrule`` command: parse the arguments, then call the library.

    chainrule train mlp --dataset mnist --epochs 10 --optimizer adam --out runs/mlp
    chainrule train lenet5 --variant classic --dataset mnist --out runs/lenet5
    chainrule train mlp ... --out runs/mlp --resume      # continue a stopped run
    chainrule eval runs/mlp                              # test metrics of its last checkpoint
    chainrule info                                       # versions, devices, BLAS, data found

``--limit-train N`` trains on the first N training samples only (quick checks and tests).
Options left out take the model's registered recipe (``models.RECIPES``, e.g. LeNet-5's epochs,
optimizer, learning rate and schedule), then ``RunConfig``'s defaults.
Failures the user can fix (missing data, unknown names, a GPU that is not there) are printed as
one sentence on stderr with exit code 2, not as a traceback.
"""

import argparse
import dataclasses
import json
import os
import platform
import sys

from . import backend, data, models
from .train import run

EXIT_USAGE = 2

_FIXABLE = (data.DatasetNotFoundError, data.ChecksumError, data.DownloadError,
            data.IDXFormatError, backend.DeviceError, run.ConfigError, FileNotFoundError)


def main(argv=None):
    """Entry point of ``chainrule`` and ``python -m chainrule``; returns the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.command(args)
    except _FIXABLE as error:
        print(f"chainrule: error: {error}", file=sys.stderr)
        return EXIT_USAGE


def _parser():
    parser = argparse.ArgumentParser(prog="chainrule", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    train = commands.add_parser("train", help="train a model and write a run folder")
    train.add_argument("model", choices=sorted(models.TRAINABLE), help="the model to train")
    defaults = run.RunConfig()
    variants = sorted({v for names in models.VARIANTS.values() for v in names})
    train.add_argument("--variant", choices=variants, default=None,
                       help="the model's variant (default: its first; lenet5: classic)")
    train.add_argument("--dataset", choices=sorted(run.DATASETS), default=defaults.dataset)
    train.add_argument("--epochs", type=int, default=None,
                       help=f"default: the model's recipe, else {defaults.epochs}")
    train.add_argument("--optimizer", choices=list(run.OPTIMIZERS), default=None,
                       help=f"default: the model's recipe, else {defaults.optimizer}")
    train.add_argument("--lr", type=float, default=None,
                       help="learning rate (default: the model's recipe, else the optimizer's "
                            "standard one: " +
                            ", ".join(f"{k} {v[1]:g}" for k, v in run.OPTIMIZERS.items()) + ")")
    train.add_argument("--lr-schedule", choices=list(run.LR_SCHEDULES), default=None,
                       help=f"default: the model's recipe, else {defaults.lr_schedule}")
    train.add_argument("--weight-decay", type=float, default=None)
    train.add_argument("--batch-size", type=int, default=None,
                       help=f"default: the model's recipe, else {defaults.batch_size}")
    train.add_argument("--distort", action="store_true", default=None,
                       help="train on randomly distorted images (LeCun et al. 1998)")
    train.add_argument("--val-size", type=int, default=defaults.val_size,
                       help="hold out the last N training samples for validation (default 5000)")
    train.add_argument("--limit-train", type=int, default=None, metavar="N",
                       help="train on the first N training samples only (quick runs)")
    train.add_argument("--patience", type=int, default=None,
                       help="stop early after this many epochs without a better val_loss")
    train.add_argument("--seed", type=int, default=defaults.seed)
    train.add_argument("--device", default=defaults.device, help="cpu or cuda")
    train.add_argument("--data-dir", default=None,
                       help="data root (default: $CHAINRULE_DATA, else ~/.cache/chainrule)")
    train.add_argument("--download", action="store_true",
                       help="download a missing data set into the data root (checksummed)")
    train.add_argument("--out", required=True, metavar="RUN_DIR", help="the run folder")
    train.add_argument("--resume", action="store_true",
                       help="continue the run in RUN_DIR from its last checkpoint")
    train.add_argument("--no-progress", action="store_true", help="no progress bar")
    train.set_defaults(command=_train)

    evaluate = commands.add_parser("eval", help="test metrics of a trained run")
    evaluate.add_argument("run_dir", metavar="RUN_DIR")
    evaluate.add_argument("--checkpoint", choices=("last", "best"), default="last")
    evaluate.add_argument("--device", default=None, help="default: the run's device")
    evaluate.add_argument("--data-dir", default=None, help="default: the run's data root")
    evaluate.set_defaults(command=_eval)

    info = commands.add_parser("info", help="versions, devices, BLAS and data sets found")
    info.add_argument("--data-dir", default=None)
    info.set_defaults(command=_info)
    return parser


def _train(args):
    names = {f.name for f in dataclasses.fields(run.RunConfig)}
    if args.variant is not None and args.variant not in models.VARIANTS[args.model]:
        raise run.ConfigError(f"model {args.model} has no variant {args.variant!r} (its "
                              f"variants: {', '.join(models.VARIANTS[args.model]) or 'none'})")
    given = {k: v for k, v in vars(args).items() if k in names and v is not None}
    config = run.RunConfig(**{**models.RECIPES[args.model], **given})
    backend.normalize_device(config.device)
    splits = run.load_splits(config, download=args.download)
    model = models.build(config.model, splits.input_shape, splits.num_classes, config.variant)
    metrics = run.train_run(config, model, splits, args.out, resume=args.resume,
                            progress=not args.no_progress)
    print(f"test accuracy {metrics['test_accuracy']:.4f}, test loss {metrics['test_loss']:.4f} "
          f"after {metrics['epochs']} epochs in {metrics['seconds']:.1f} s; "
          f"run written to {args.out}")
    return 0


def _eval(args):
    config = run.read_config(args.run_dir)
    overrides = {k: getattr(args, k) for k in ("device", "data_dir") if getattr(args, k)}
    config = dataclasses.replace(config, **overrides)
    splits = run.load_splits(config)
    model = models.build(config.model, splits.input_shape, splits.num_classes, config.variant)
    metrics = run.evaluate_run(args.run_dir, model, splits, config, which=args.checkpoint)
    print(json.dumps({k: v for k, v in metrics.items() if k != "test_confusion"}))
    print("confusion (rows: true class, columns: predicted):")
    print(metrics["test_confusion"])
    return 0


def _info(args):
    import numpy as np
    from . import __version__
    print(f"chainrule {__version__}")
    print(f"python    {platform.python_version()} ({sys.executable})")
    print(f"numpy     {np.__version__}")
    cupy = backend.cupy
    print(f"cupy      {cupy.__version__ if cupy is not None else 'not installed'}")
    print("devices   " + ", ".join(["cpu"] + _gpus()))
    for line in _blas():
        print(f"blas      {line}")
    root, reason = data.data_root(args.data_dir)
    print(f"data root {root} (from {reason}){'' if root.is_dir() else ' - does not exist'}")
    for name, found in _datasets_found(root):
        print(f"  {name:<16} {found}")
    return 0


def _gpus():
    if not backend.cuda_is_available():
        return []
    runtime = backend.cupy.cuda.runtime
    return [f"cuda:{i} {runtime.getDeviceProperties(i)['name'].decode()}"
            for i in range(runtime.getDeviceCount())]


def _blas():
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return ["(install threadpoolctl to see which BLAS NumPy uses)"]
    pools = [p for p in threadpool_info() if p.get("user_api") == "blas"]
    return [f"{p.get('internal_api')} {p.get('version')} ({p.get('architecture')}, "
            f"{p.get('num_threads')} threads)" for p in pools] or ["none found"]


def _datasets_found(root):
    """For each data set class that declares its files, whether they are all under ``root``."""
    for name in sorted(data.__all__):
        dataset = getattr(data, name)
        files = getattr(dataset, "checksums", None)
        if not isinstance(dataset, type) or not files:
            continue
        folder = root / dataset.folder
        present = [f for f in files if any(os.path.isfile(folder / candidate)
                                           for candidate in (f, f.removesuffix(".gz")))]
        missing = len(files) - len(present)
        yield name, "found" if not missing else f"missing {missing} of {len(files)} files in {folder}"
