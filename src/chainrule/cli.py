"""The ``chainrule`` command: parse the arguments, then call the library.

    chainrule train mlp --dataset mnist --epochs 10 --optimizer adam --out runs/mlp
    chainrule train lenet5 --variant classic --dataset mnist --out runs/lenet5
    chainrule train mlp ... --out runs/mlp --resume      # continue a stopped run
    chainrule eval runs/mlp                              # test metrics of its last checkpoint
    chainrule info                                       # versions, devices, BLAS, data found
    chainrule train char-lm --corpus tinyshakespeare --model lstm --layers 2 --hidden 256 \
        --seq-len 100 --batch-size 64 --epochs 4 --lr 2e-3 --clip 5 --out runs/shakespeare
    chainrule sample runs/shakespeare --prime "ROMEO:" --temperature 0.8 --top-k 10 --seed 1
    chainrule viz kernels --image photo.jpg              # classic kernels applied to an image
    chainrule viz filters|features|errors runs/lenet5    # pictures of a trained run
    chainrule translate runs/seq2seq_chainrule_dot "Ein Hund läuft."   # a trained seq2seq

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
from .models.char_rnn import CELLS, sample
from .train import lm, run

EXIT_USAGE = 2
CHAR_LM = "char-lm"
# char-lm command-line option (its argparse dest) -> LMConfig field
_LM_OPTIONS = {"corpus": "corpus", "cell": "model", "layers": "layers", "hidden": "hidden",
               "dropout": "dropout", "seq_len": "seq_len", "steps": "steps", "clip": "clip",
               "epochs": "epochs", "optimizer": "optimizer", "lr": "lr",
               "lr_schedule": "lr_schedule", "batch_size": "batch_size", "seed": "seed",
               "device": "device", "data_dir": "data_dir"}

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
    parser = argparse.ArgumentParser(
        prog="chainrule", description="Train, evaluate, sample from and draw the networks of "
                                      "the lecture decks (chainrule COMMAND --help for more).")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    train = commands.add_parser("train", help="train a model and write a run folder")
    train.add_argument("model", choices=sorted(models.TRAINABLE) + [CHAR_LM],
                       help="the model to train (char-lm: a character language model)")
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
    train.add_argument("--val-size", type=int, default=None, metavar="N",
                       help="hold out the last N training samples for validation (default: the "
                            f"model's recipe, else {defaults.val_size}; 0 trains on all of them)")
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
    _add_char_lm_options(train.add_argument_group(
        "char-lm options", "a character-level RNN language model trained with truncated BPTT "
        "on the first 90% of a corpus, validated on the last 10%"))
    train.set_defaults(command=_train)

    generate = commands.add_parser("sample", help="generate text with a trained char-lm run")
    generate.add_argument("run_dir", metavar="RUN_DIR")
    generate.add_argument("--prime", default="\n", help="text to start from (default: newline)")
    generate.add_argument("--temperature", type=float, default=1.0,
                          help="divide the logits by T before the softmax (default 1)")
    generate.add_argument("--top-k", type=int, default=None,
                          help="draw only among the K most likely characters")
    generate.add_argument("--length", type=int, default=1000, help="characters to generate")
    generate.add_argument("--seed", type=int, default=0)
    generate.add_argument("--checkpoint", choices=("last", "best"), default="last")
    generate.add_argument("--device", default="cpu")
    generate.set_defaults(command=_sample)

    evaluate = commands.add_parser("eval", help="test metrics of a trained run")
    evaluate.add_argument("run_dir", metavar="RUN_DIR")
    evaluate.add_argument("--checkpoint", choices=("last", "best"), default="last")
    evaluate.add_argument("--device", default=None, help="default: the run's device")
    evaluate.add_argument("--data-dir", default=None, help="default: the run's data root")
    evaluate.set_defaults(command=_eval)

    info = commands.add_parser("info", help="versions, devices, BLAS and data sets found")
    info.add_argument("--data-dir", default=None)
    info.set_defaults(command=_info)
    _add_viz(commands)
    _add_translate(commands)
    return parser


def _add_viz(commands):
    pictures = commands.add_parser("viz", help="pictures: kernels, learned filters, feature "
                                               "maps, errors (PNG files)")
    kinds = pictures.add_subparsers(required=True, metavar="PICTURE")
    kernels = kinds.add_parser("kernels", help="deck 001's classic 3x3 kernels on an image")
    source = kernels.add_mutually_exclusive_group(required=True)
    source.add_argument("--image", metavar="PATH",
                        help="an image file, or ARCHIVE.zip:MEMBER (needs Pillow)")
    source.add_argument("--mnist-index", type=int, metavar="N", help="MNIST test digit N")
    kernels.add_argument("--data-dir", default=None,
                         help="data root for --mnist-index (default: $CHAINRULE_DATA, else "
                              "~/.cache/chainrule)")
    kernels.add_argument("--out", default="classic_kernels.png", metavar="PNG")
    kernels.set_defaults(command=_viz_kernels)
    for name, command, help in (("filters", _viz_filters, "the first conv layer's kernels"),
                                ("features", _viz_features, "every layer's output for one "
                                                            "test image"),
                                ("errors", _viz_errors, "misclassified test images and the "
                                                        "confusion matrix")):
        picture = kinds.add_parser(name, help=f"{help} (of a run folder's model)")
        picture.add_argument("run_dir", metavar="RUN_DIR")
        picture.add_argument("--checkpoint", choices=("last", "best"), default="last")
        picture.add_argument("--data-dir", default=None, help="default: the run's data root")
        picture.add_argument("--out", default=None, metavar="PNG",
                             help=f"default: RUN_DIR/{name}.png" + (" and RUN_DIR/confusion.png"
                                                                    if name == "errors" else ""))
        if name == "features":
            picture.add_argument("--index", type=int, default=0, metavar="N",
                                 help="test image N (default 0)")
        picture.set_defaults(command=command)


def _add_char_lm_options(group):
    group.add_argument("--corpus", default=None,
                       help="tinyshakespeare, c-code or a UTF-8 text file (default "
                            "tinyshakespeare)")
    group.add_argument("--model", dest="cell", choices=sorted(CELLS), default=None,
                       help="recurrent cell (default lstm)")
    group.add_argument("--layers", type=int, default=None, help="recurrent layers (default 2)")
    group.add_argument("--hidden", type=int, default=None, help="units per layer (default 256)")
    group.add_argument("--dropout", type=float, default=None, help="default 0")
    group.add_argument("--seq-len", type=int, default=None, help="BPTT length (default 100)")
    group.add_argument("--steps", type=int, default=None,
                       help="stop after this many optimiser steps in all")
    group.add_argument("--clip", type=float, default=None,
                       help="gradient-norm bound (default 5)")


def _add_translate(commands):
    translate = commands.add_parser("translate", help="translate sentences with a trained "
                                                      "seq2seq model folder")
    translate.add_argument("run_dir", metavar="RUN_DIR",
                           help="written by reproductions/seq2seq_multi30k.py")
    translate.add_argument("sentences", nargs="+", metavar="SENTENCE")
    translate.add_argument("--beam", type=int, default=5,
                           help="beam width (default 5; 0 for greedy decoding)")
    translate.add_argument("--max-len", type=int, default=50)
    translate.set_defaults(command=_translate)


def _translate(args):
    from .models import seq2seq
    model, source_vocab, target_vocab = seq2seq.load_translator(args.run_dir)
    for line in seq2seq.translate(model, args.sentences, source_vocab, target_vocab,
                                  args.beam, args.max_len):
        print(line)
    return 0


def _train(args):
    if args.model == CHAR_LM:
        return _train_char_lm(args)
    lm_only = [f"--{k.replace('_', '-')}" for k in ("corpus", "layers", "hidden", "dropout",
                                                    "seq_len", "steps", "clip")
               if getattr(args, k) is not None] + (["--model"] if args.cell else [])
    if lm_only:
        raise run.ConfigError(f"these options are for `chainrule train char-lm` only: "
                              f"{', '.join(lm_only)}")
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


def _train_char_lm(args):
    given = {field: getattr(args, option) for option, field in _LM_OPTIONS.items()
             if getattr(args, option) is not None}
    config = lm.LMConfig(**given)
    backend.normalize_device(config.device)
    metrics = lm.train_lm(config, args.out, resume=args.resume, progress=not args.no_progress,
                          download=args.download)
    print(f"validation loss {metrics['val_loss']:.4f} nats/char "
          f"({metrics['val_bits_per_char']:.4f} bits/char) after {metrics['epochs']} epochs "
          f"({metrics['steps']} steps) in {metrics['seconds']:.1f} s; run written to {args.out}")
    return 0


def _sample(args):
    model, vocab, _ = lm.load_trained(args.run_dir, args.checkpoint, args.device)
    unknown = sorted(set(args.prime) - set(vocab.chars))
    if unknown:
        raise run.ConfigError(f"the prime holds characters the model never saw: "
                              f"{''.join(unknown)!r}")
    if args.temperature <= 0 or (args.top_k is not None and args.top_k < 1):
        raise run.ConfigError("--temperature must be positive and --top-k at least 1")
    print(sample(model, vocab, args.prime, args.length, args.temperature, args.top_k,
                 args.seed, args.device))
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


def _viz_kernels(args):
    from .viz import kernels
    if args.image is not None:
        image, source = kernels.read_image(args.image), args.image
    else:
        digits = data.MNIST(args.data_dir, train=False).data
        image, source = digits[args.mnist_index] / 255, f"MNIST test digit {args.mnist_index}"
    kernels.plot_classic_kernels(image, args.out)
    print(f"{source}: classic kernels written to {args.out}")
    return 0


def _viz_filters(args):
    from .viz import filters, runs
    trained = runs.load_run(args.run_dir, args.checkpoint, args.data_dir)
    out = args.out or os.path.join(args.run_dir, "filters.png")
    filters.plot_filters(filters.first_conv_weight(trained.model), out,
                         title=f"first convolution of {_run_name(trained)}")
    print(f"learned kernels written to {out}")
    return 0


def _viz_features(args):
    from .viz import errors, features, runs
    trained = runs.load_run(args.run_dir, args.checkpoint, args.data_dir)
    if not 0 <= args.index < len(trained.labels):
        raise run.ConfigError(f"--index must be between 0 and {len(trained.labels) - 1}, "
                              f"got {args.index}")
    image = trained.images[args.index]
    predicted = errors.predict_classes(trained.model, image[None])[0]
    out = args.out or os.path.join(args.run_dir, f"features_{args.index}.png")
    features.plot_feature_maps(trained.model, image, out,
                               title=f"{_run_name(trained)}, test image {args.index}: "
                                     f"label {trained.labels[args.index]}, predicted {predicted}")
    print(f"feature maps written to {out}")
    return 0


def _viz_errors(args):
    from .viz import errors, runs
    trained = runs.load_run(args.run_dir, args.checkpoint, args.data_dir)
    predicted = errors.predict_classes(trained.model, trained.images)
    out = args.out or os.path.join(args.run_dir, "errors.png")
    confusion_out = os.path.join(os.path.dirname(out), "confusion.png")
    wrong = errors.plot_misclassified(trained.images, trained.labels, predicted, out)
    errors.plot_confusion(errors.confusion_matrix(predicted, trained.labels, trained.num_classes),
                          confusion_out)
    print(f"{len(wrong)} of {len(predicted)} test images misclassified; pictures written to "
          f"{out} and {confusion_out}")
    return 0


def _run_name(trained):
    config = trained.config
    return f"{config.model}" + (f" ({config.variant})" if config.variant else "")


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
