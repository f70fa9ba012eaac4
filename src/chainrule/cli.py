"""The ``chainrule`` command: parse the arguments, then call the library.

    chainrule train lenet5 --variant classic --dataset mnist --out runs/lenet5
    chainrule train mlp --epochs 10 --optimizer adam --out runs/mlp
    chainrule train mlp ... --out runs/mlp --resume      # continue a stopped run
    chainrule train char-lm --corpus tinyshakespeare --cell lstm --layers 2 --hidden 256 \\
        --seq-len 100 --epochs 4 --clip 5 --out runs/shakespeare
    chainrule train seq2seq --attention dot --epochs 6 --out runs/seq2seq
    chainrule train autoencoder --decoder upsample --latent 2 --noise 0.3 --out runs/ae
    chainrule eval runs/mlp                              # test metrics of its last checkpoint
    chainrule sample runs/shakespeare --prime "ROMEO:" --temperature 0.8 --top-k 10 --seed 1
    chainrule translate runs/seq2seq "Ein Hund läuft."  # a trained seq2seq
    chainrule viz kernels --image photo.jpg              # classic kernels applied to an image
    chainrule viz filters|features|errors runs/lenet5    # pictures of a trained run
    chainrule viz deconv runs/lenet5 --layer c3          # Zeiler & Fergus's deconvnet
    chainrule summary resnet50 --input 3x224x224         # a zoo model's layer table
    chainrule info                                       # versions, devices, BLAS, data found

``chainrule train APP`` has one sub-command per app (``chainrule.apps``): each takes only its
own options, and ``--help`` shows its true defaults (a classifier's come from its registered
recipe for the chosen variant, ``models.recipe_of``, then ``RunConfig``; char-lm's from
``LMConfig``; seq2seq's from ``Seq2SeqConfig``). An option an app does not take is a usage
error naming it.
Failures the user can fix (missing data, a damaged file, a run folder of another kind, a GPU
that is not there: the ``chainrule.errors.ChainruleError`` family) are printed as one sentence
on stderr with exit code 2, not as a traceback: ``main`` is the one place that turns them into
that sentence. A number out of range is refused as it is parsed (the option types below), with
argparse's usage error naming the option. A training run stops at its first NaN or infinite
loss (``--detect-anomaly`` names the op that produced it); Ctrl-C ends it with exit code 130
and the command that resumes it.
"""

import argparse
import contextlib
import dataclasses
import json
import math
import os
import platform
import shlex
import sys

import numpy as np

from . import backend, data, distributed, models, random
from .apps import autoencoder, captioner, char_lm, classify, common, runs, textcnn
from .apps import detect as detection
from .apps import seq2seq as translation
from .autograd import detect_anomaly
from .data.download import MissingFilesError
from .data.sentence import SENTENCE_SETS
from .distributed import launch
from .errors import AnomalyError, ChainruleError
from .kernels import memory
from .models.char_rnn import CELLS, sample
from .models.seq2seq import WEIGHTS_FILE

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports a command stopped by Ctrl-C
DATASET_NAMES = {"mnist": "MNIST", "cifar10": "CIFAR-10", None: "your images"}
KERNELS_FOLDER = os.path.join("pictures", "kernels")


def main(argv=None):
    """Entry point of ``chainrule`` and ``python -m chainrule``; returns the exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args = _parser().parse_args(argv)
    args.argv = argv
    try:
        return args.command(args)
    except ChainruleError as error:
        print(f"chainrule: error: {_in_command_line_words(error)}", file=sys.stderr)
        if distributed.get_world_size() > 1:
            distributed.abort(EXIT_USAGE)  # the other ranks would wait for this one forever
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("chainrule: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _in_command_line_words(error):
    """The error's sentence, naming this command's options where the library names its own."""
    if isinstance(error, MissingFilesError):
        return error.message(root_option="--data-dir", download_option="--download")
    return str(error)


# -- option types: a value out of range is argparse's usage error naming the option (exit 2) --


def positive_int(text):
    return _checked(int, text, lambda v: v > 0, "a whole number above 0")


def non_negative_int(text):
    return _checked(int, text, lambda v: v >= 0, "a whole number, 0 or more")


def positive_float(text):
    return _checked(float, text, lambda v: v > 0, "a finite number above 0")


def non_negative_float(text):
    return _checked(float, text, lambda v: v >= 0, "a finite number, 0 or more")


def image_dataset(text):
    """A classifier's --dataset: a name of ``classify.DATASETS`` or ``imagefolder:PATH``."""
    if text in classify.DATASETS:
        return text
    if text.startswith(classify.IMAGE_FOLDER) and len(text) > len(classify.IMAGE_FOLDER):
        path = os.path.expanduser(text[len(classify.IMAGE_FOLDER) :])
        return classify.IMAGE_FOLDER + os.path.abspath(path)
    names = ", ".join(sorted(classify.DATASETS))
    raise argparse.ArgumentTypeError(f"must be one of {names} or imagefolder:PATH, got {text!r}")


def sentence_dataset(text):
    """TextCNN's --dataset: a name of ``data.sentence.SENTENCE_SETS`` or a file's path."""
    if text in SENTENCE_SETS:
        return text
    path = os.path.expanduser(text)
    if os.path.isfile(path):
        return os.path.abspath(path)
    names = ", ".join(sorted(SENTENCE_SETS))
    raise argparse.ArgumentTypeError(f"must be one of {names} or a file, got {text!r}")


def fold_count(text):
    return _checked(int, text, lambda v: 1 <= v <= 10, "a whole number from 1 to 10")


def port_number(text):
    return _checked(int, text, lambda v: 0 <= v <= 65535, "a port number from 0 to 65535")


def probability(text):
    return _checked(float, text, lambda v: 0 <= v < 1, "a number from 0 up to (not including) 1")


def _checked(kind, text, valid, wanted):
    """``kind(text)`` if it is finite and ``valid``; else argparse's error "must be WANTED"."""
    try:
        value = kind(text)
    except ValueError:
        value = None
    if value is None or not math.isfinite(value) or not valid(value):
        raise argparse.ArgumentTypeError(f"must be {wanted}, got {text!r}")
    return value


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Appends "(default: …)" to an option's help, except where there is no value to show
    (an off switch, or None, whose meaning the help text says)."""

    def _get_help_string(self, action):
        if action.default is None or action.default is False:
            return action.help
        return super()._get_help_string(action)


def _parser():
    parser = argparse.ArgumentParser(
        prog="chainrule",
        description="Train, evaluate, sample from and draw the networks of "
        "the lecture decks (chainrule COMMAND --help for more).",
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    train = commands.add_parser(
        "train",
        help="train a model and write a run folder",
        description="Train one app's model into a run folder "
        "(chainrule train APP --help for its options).",
    )
    apps = train.add_subparsers(required=True, metavar="APP")
    for name in sorted(models.TRAINABLE):
        _add_classifier(apps, name)
    _add_char_lm(apps)
    _add_textcnn(apps)
    _add_seq2seq(apps)
    _add_autoencoder(apps)
    _add_captioner(apps)
    _add_yolo(apps)

    generate = commands.add_parser("sample", help="generate text with a trained char-lm run")
    generate.add_argument("run_dir", metavar="RUN_DIR")
    generate.add_argument("--prime", default="\n", help="text to start from (default: newline)")
    generate.add_argument(
        "--temperature",
        type=positive_float,
        default=1.0,
        help="divide the logits by T before the softmax (default 1)",
    )
    generate.add_argument(
        "--top-k",
        type=positive_int,
        default=None,
        help="draw only among the K most likely characters",
    )
    generate.add_argument(
        "--length", type=non_negative_int, default=1000, help="characters to generate"
    )
    generate.add_argument("--seed", type=non_negative_int, default=0)
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
    _add_summary(commands)
    _add_serve(commands)
    _add_export(commands)
    _add_detect(commands)
    _add_caption(commands)
    return parser


def _add_serve(commands):
    serve = commands.add_parser(
        "serve",
        help="the live page: draw a digit, watch the forward pass and the δ of backprop",
        description="Serve a page for a trained MNIST classifier run: a canvas to draw on, the "
        "prediction as you draw, every layer's feature maps, and for a chosen label the error "
        "term δ at every layer and the gradient on the pixels (docs/serve.md).",
    )
    serve.add_argument("run_dir", metavar="RUN_DIR")
    serve.add_argument("--port", type=port_number, default=8000, help="0: any free port")
    serve.add_argument(
        "--host", default="127.0.0.1", help="the address to listen on (0.0.0.0: every one)"
    )
    serve.add_argument("--checkpoint", choices=("last", "best"), default="last")
    serve.add_argument("--data-dir", default=None, help="default: the run's data root")
    serve.set_defaults(command=_serve)


def _serve(args):
    from .apps import serve

    serve.serve(args.run_dir, args.host, args.port, args.data_dir, args.checkpoint)
    return 0


def _add_export(commands):
    export = commands.add_parser(
        "export",
        help="a trained classifier run as an ONNX file or as a page that needs no server",
        description="Export a classifier run's model: --onnx writes an ONNX graph with a "
        "symbolic batch (docs/onnx.md); --web writes the live page's forward pass as a folder "
        "that opens from disk, running the model in ONNX Runtime Web (docs/serve.md).",
    )
    export.add_argument("run_dir", metavar="RUN_DIR")
    target = export.add_mutually_exclusive_group(required=True)
    target.add_argument("--onnx", metavar="FILE", help="the .onnx file to write")
    target.add_argument("--web", metavar="FOLDER", help="the folder to write the page into")
    export.add_argument("--checkpoint", choices=("last", "best"), default="last")
    export.add_argument("--data-dir", default=None, help="default: the run's data root")
    export.set_defaults(command=_export)


def _export(args):
    if args.onnx:
        from .apps.export import export_onnx

        if os.path.isdir(args.onnx):
            raise common.ConfigError(f"--onnx {args.onnx} is a folder; give a file's path")
        proto = export_onnx(args.run_dir, args.onnx, args.checkpoint, data_dir=args.data_dir)
        nodes = len(proto.graph.node)
        print(f"{args.run_dir} written to {args.onnx} (opset {_opset(proto)}, {nodes} nodes)")
        return 0
    from .apps.static_page import export_web

    if os.path.isfile(args.web):
        raise common.ConfigError(f"--web {args.web} is a file; give a folder's path")
    index = export_web(args.run_dir, args.web, args.data_dir, args.checkpoint)
    print(f"the page of {args.run_dir} written to {args.web}; open {index} in a browser")
    return 0


def _opset(proto):
    return next(entry.version for entry in proto.opset_import if entry.domain in ("", "ai.onnx"))


def _add_summary(commands):
    from .models import zoo

    summary = commands.add_parser(
        "summary",
        help="a zoo model's layer table: output shapes, parameters, multiply-adds",
        description="Print the layer table of a network of the zoo for one input "
        f"(models: {', '.join(zoo.ARCHITECTURES)}; the VGG configurations also under "
        f"torchvision's names: {', '.join(zoo.ALIASES)}).",
    )
    summary.add_argument("model", choices=[*zoo.ARCHITECTURES, *zoo.ALIASES], metavar="MODEL")
    summary.add_argument(
        "--input",
        type=input_size,
        default=None,
        metavar="CxHxW",
        help="one input's size (default: the size the network was designed for)",
    )
    summary.add_argument(
        "--depth", type=positive_int, default=1, help="levels of submodules to list (default 1)"
    )
    summary.add_argument("--json", action="store_true", help="print the table as JSON")
    summary.set_defaults(command=_summary)


def _summary(args):
    from .models import zoo
    from .nn.utils.complexity import format_layer_table

    try:
        table = zoo.summary(args.model, args.input, args.depth)
    except ValueError as error:  # the input is too small for the network's layers
        raise common.ConfigError(
            f"{args.model} cannot take a {_size_text(args.input)} input: {error}"
        ) from None
    print(json.dumps(table, indent=1) if args.json else format_layer_table(table))
    return 0


def input_size(text):
    """``CxHxW`` (e.g. 3x224x224) as a tuple of three whole numbers above 0."""
    parts = text.lower().split("x")
    if len(parts) != 3 or not all(p.isdigit() and int(p) > 0 for p in parts):
        raise argparse.ArgumentTypeError(f"must be CxHxW such as 3x224x224, got {text!r}")
    return tuple(int(p) for p in parts)


def _size_text(size):
    return "×".join(map(str, size)) if size else "default"


def _app_parser(apps, name, help, description):
    parser = apps.add_parser(
        name, help=help, description=description, formatter_class=_HelpFormatter
    )
    parser.set_defaults(command=_train)
    return parser


def _add_classifier(apps, name):
    """``chainrule train NAME`` for a model of the registry, with its recipe as the defaults.
    A field whose recipe differs between the model's variants defaults to None here, its help
    gives each variant's value, and ``_classifier_config`` fills it from the chosen variant."""
    varying = models.varying_fields(name)
    defaults = classify.RunConfig(model=name, **{**models.RECIPES[name], **dict.fromkeys(varying)})

    def told(**helps):
        """``helps`` with each variant's default added where the default depends on it."""
        return {
            field: help + _variant_defaults(varying.get(field)) for field, help in helps.items()
        }

    datasets = dict.fromkeys(
        models.recipe_of(name, v).get("dataset", classify.RunConfig.dataset)
        for v in models.VARIANTS[name] or [None]
    )
    parser = _app_parser(
        apps,
        name,
        help=f"an image classifier ({name}) on "
        + " or ".join(DATASET_NAMES[d] for d in datasets)
        + (" by --variant" if len(datasets) > 1 else ""),
        description=f"Train the registered model {name} to classify images "
        "(chainrule.apps.classify).",
    )
    parser.set_defaults(app=_train_classifier, model=name)
    _add_workers_option(parser)
    variants = models.VARIANTS[name]
    if variants:
        parser.add_argument(
            "--variant", choices=variants, default=variants[0], help="the model's variant"
        )
    own_data = datasets.keys() == {None}  # ImageNet's networks: the user's images
    required = "; required: the network's own, ImageNet, is not in the data mirror"
    parser.add_argument(
        "--dataset",
        type=image_dataset,
        default=defaults.dataset,
        required=own_data,
        metavar="{" + ",".join(sorted(classify.DATASETS)) + f",{classify.IMAGE_FOLDER}PATH}}",
        help="the data set; imagefolder:PATH reads PATH/train/<class>/ and PATH/test/<class>/ "
        "(images of one size)"
        + (required if own_data else "")
        + _variant_defaults(varying.get("dataset")),
    )
    standard = ", ".join(f"{k} {v[1]:g}" for k, v in common.OPTIMIZERS.items())
    own_lr = defaults.lr is None and "lr" not in varying
    _add_config_options(
        parser,
        defaults,
        **told(
            epochs="epochs in all",
            optimizer="the optimiser",
            lr="learning rate" + (f" (default: the optimiser's own: {standard})" if own_lr else ""),
            lr_schedule="stepped once per epoch",
            weight_decay="L2 penalty (AdamW: decoupled, 0 means its own 0.01)",
            batch_size="batch size",
        ),
    )
    parser.add_argument(
        "--distort",
        action=argparse.BooleanOptionalAction,
        default=defaults.distort,
        help="train on randomly distorted images: MNIST, LeCun et al. 1998's affine "
        "distortions; CIFAR-10, He et al. 2016's padded random crop and horizontal flip"
        + _variant_defaults(varying.get("distort")),
    )
    _add_config_options(
        parser,
        defaults,
        **told(
            val_size="hold out the last N training samples for validation "
            "(0: train on all of them)",
            limit_train="train on the first N training samples only (quick runs)",
            patience="stop early after this many epochs without a better val_loss",
        ),
    )
    _add_run_options(parser, defaults)


def _variant_defaults(by_variant):
    """The end of an option's help that gives a default per variant, from {variant: value}:
    ' (default: 100 with --variant cifar10, 20 with --variant mnist)'; empty for None."""
    if not by_variant:
        return ""
    values = ", ".join(f"{value} with --variant {v}" for v, value in by_variant.items())
    return f" (default: {values})"


def _add_char_lm(apps):
    defaults = char_lm.LMConfig()
    parser = _app_parser(
        apps,
        "char-lm",
        help="a character-level RNN language model",
        description="Train a character-level RNN language model with "
        "truncated BPTT on the first 90% of a corpus, validated "
        "on the last 10% (chainrule.apps.char_lm).",
    )
    parser.set_defaults(app=_train_char_lm)
    _add_workers_option(parser)
    parser.add_argument(
        "--corpus", default=defaults.corpus, help="tinyshakespeare, c-code or a UTF-8 text file"
    )
    parser.add_argument(
        "--cell", choices=sorted(CELLS), default=defaults.cell, help="the recurrent cell"
    )
    _add_config_options(
        parser,
        defaults,
        layers="recurrent layers",
        hidden="units per layer",
        dropout="dropout between layers and before the output",
        seq_len="BPTT length",
        batch_size="parallel streams",
        epochs="epochs in all",
        steps="stop after this many optimiser steps in all",
        optimizer="the optimiser",
        lr="learning rate",
        lr_schedule="stepped once per epoch",
        clip="gradient-norm bound",
    )
    _add_run_options(parser, defaults)


def _add_textcnn(apps):
    defaults = textcnn.TextCNNConfig()
    parser = _app_parser(
        apps,
        "textcnn",
        help="Kim 2014's sentence CNN (CNN-rand)",
        description="Train Kim 2014's CNN-rand sentence classifier: Adadelta, batches of 50, "
        "max-norm on the output weights, early stopping on dev accuracy; 10-fold "
        "cross-validation for a set without a test split (chainrule.apps.textcnn).",
    )
    parser.set_defaults(app=_train_textcnn)
    parser.add_argument(
        "--dataset",
        type=sentence_dataset,
        default=defaults.dataset,
        help="mr, sst1, sst2, subj, trec, or a file of 'label sentence' lines",
    )
    parser.add_argument(
        "--folds",
        type=fold_count,
        default=defaults.folds,
        metavar="K",
        help="run the first K of the 10 cross-validation folds (default: all)",
    )
    _add_config_options(
        parser,
        defaults,
        epochs="epochs per split",
        batch_size="sentences a step",
        embedding_dim="word vector size",
    )
    parser.add_argument(
        "--windows",
        type=positive_int,
        nargs="+",
        default=defaults.windows,
        help="filter widths in words",
    )
    _add_config_options(
        parser,
        defaults,
        maps="filters per window width",
        dropout="dropout before the output",
        max_norm="bound on the L2 norm of each output weight row",
    )
    _add_run_options(parser, defaults)


def _add_seq2seq(apps):
    defaults = translation.Seq2SeqConfig()
    parser = _app_parser(
        apps,
        "seq2seq",
        help="a German→English translator (Multi30k)",
        description="Train an encoder–decoder to translate Multi30k's German "
        "into English; the run folder is what `chainrule "
        "translate` reads (chainrule.apps.seq2seq).",
    )
    parser.set_defaults(app=_train_seq2seq)
    parser.add_argument(
        "--attention",
        choices=("none", "dot", "additive"),
        default=defaults.attention,
        help="the decoder's attention",
    )
    parser.add_argument(
        "--cell", choices=("gru", "lstm"), default=defaults.cell, help="the recurrent cell"
    )
    parser.add_argument("--bidirectional", action="store_true", help="a bidirectional encoder")
    _add_config_options(
        parser,
        defaults,
        embedding="word embedding size",
        hidden="encoder units per direction",
        dropout="dropout on the embeddings and before the output",
        epochs="epochs",
        batch_size="sentence pairs per batch",
        lr="Adam's first learning rate (a cosine to 0 over the epochs)",
        clip="gradient-norm bound",
        max_tokens="train on the pairs of at most this many words a side",
        min_freq="keep the training words seen at least this often",
        limit_train="train on the first N pairs only (quick runs)",
        max_len="longest test translation, in words",
        beam="beam width of the final test (0: greedy decoding only)",
        seed="initialisation and batch order",
    )
    _add_data_options(parser)
    parser.add_argument("--out", required=True, metavar="RUN_DIR", help="the run folder")
    _add_anomaly_option(parser)


def _add_autoencoder(apps):
    defaults = autoencoder.AutoencoderConfig()
    parser = _app_parser(
        apps,
        "autoencoder",
        help="a convolutional autoencoder of MNIST digits",
        description="Train a convolutional autoencoder to reconstruct MNIST digits (MSE); "
        "pictures of reconstructions and, with --latent 2, of the codes "
        "(chainrule.apps.autoencoder).",
    )
    parser.set_defaults(app=_train_autoencoder)
    parser.add_argument(
        "--decoder",
        choices=("transpose", "upsample"),
        default=defaults.decoder,
        help="transposed convolutions, or nearest upsampling then convolutions",
    )
    _add_config_options(
        parser,
        defaults,
        latent="a bottleneck of N numbers (2: the latent scatter picture)",
        noise="denoising: the input noise's σ (gaussian) or probability (mask) while training",
    )
    parser.add_argument(
        "--noise-kind",
        choices=("gaussian", "mask"),
        default=defaults.noise_kind,
        help="Gaussian noise added, or pixels zeroed",
    )
    _add_config_options(
        parser,
        defaults,
        epochs="epochs",
        batch_size="digits per batch",
        optimizer="the optimiser",
        lr="learning rate",
        val_size="the last N training digits validate",
        limit_train="train on the first N digits only (quick runs)",
    )
    _add_run_options(parser, defaults)


def _add_captioner(apps):
    defaults = captioner.CaptionConfig()
    parser = _app_parser(
        apps,
        "captioner",
        help="a CNN + LSTM captioner of synthetic MNIST scenes",
        description="Train a CNN encoder and an LSTM decoder to caption scenes of 1-3 MNIST "
        'digits ("a large 7 left of a small 2"); exact match and BLEU-4 on held-out '
        "scenes, also on caption combinations never seen in training "
        "(chainrule.apps.captioner).",
    )
    parser.set_defaults(app=_train_captioner)
    parser.add_argument(
        "--attention",
        choices=("additive", "dot"),
        default=defaults.attention,
        help="the decoder's attention over the encoder's 6×6 grid",
    )
    _add_config_options(
        parser,
        defaults,
        train_scenes="training scenes",
        test_scenes="held-out scenes",
        epochs="epochs",
        batch_size="scenes per batch",
        lr="Adam's first learning rate (a cosine to 0 over the epochs)",
        width="the encoder's first convolution's channels (doubled by the next two)",
        beam="beam width of the final held-out captions (0: greedy only)",
        seed="scenes and initialisation",
    )
    _add_data_options(parser)
    parser.add_argument("--out", required=True, metavar="RUN_DIR", help="the run folder")
    parser.add_argument(
        "--resume", action="store_true", help="continue the run in RUN_DIR from its last checkpoint"
    )
    _add_anomaly_option(parser)


# What each option shared by the apps takes; its default is the app's config's field of the
# same name, its help says what it means for that app (``_add_config_options``).
_OPTION_KINDS = {
    "batch_size": dict(type=positive_int),
    "beam": dict(type=non_negative_int),
    "clip": dict(type=positive_float),
    "dropout": dict(type=probability),
    "embedding": dict(type=positive_int),
    "embedding_dim": dict(type=positive_int),
    "epochs": dict(type=positive_int),
    "hidden": dict(type=positive_int),
    "latent": dict(type=positive_int, metavar="N"),
    "layers": dict(type=positive_int),
    "limit_train": dict(type=positive_int, metavar="N"),
    "lr": dict(type=positive_float),
    "lr_schedule": dict(choices=list(common.LR_SCHEDULES)),
    "maps": dict(type=positive_int),
    "max_len": dict(type=positive_int),
    "max_norm": dict(type=positive_float),
    "max_tokens": dict(type=positive_int),
    "min_freq": dict(type=positive_int),
    "noise": dict(type=non_negative_float),
    "optimizer": dict(choices=list(common.OPTIMIZERS)),
    "patience": dict(type=positive_int),
    "seed": dict(type=non_negative_int),
    "seq_len": dict(type=positive_int),
    "steps": dict(type=positive_int),
    "test_scenes": dict(type=positive_int),
    "train_scenes": dict(type=positive_int),
    "val_size": dict(type=non_negative_int, metavar="N"),
    "weight_decay": dict(type=non_negative_float),
    "width": dict(type=positive_int),
}


def _add_config_options(parser, defaults, **helps):
    """One option per keyword, in order: ``--batch-size`` for ``batch_size=HELP``, of the kind
    ``_OPTION_KINDS`` gives, defaulting to the field of the app's config ``defaults`` (None
    where the config has no such field: the help says what that means)."""
    for name, help in helps.items():
        parser.add_argument(
            "--" + name.replace("_", "-"),
            default=getattr(defaults, name, None),
            help=help,
            **_OPTION_KINDS[name],
        )


def _add_run_options(parser, defaults):
    """The options of an app whose runs can resume: seed, device, data, folder, progress."""
    _add_config_options(parser, defaults, seed="initialisation, shuffling and dropout")
    parser.add_argument("--device", default=defaults.device, help="cpu or cuda")
    _add_data_options(parser)
    parser.add_argument("--out", required=True, metavar="RUN_DIR", help="the run folder")
    parser.add_argument(
        "--resume", action="store_true", help="continue the run in RUN_DIR from its last checkpoint"
    )
    parser.add_argument(
        "--no-progress",
        action="store_true",
        help="no progress bar: one line per epoch (as when stderr is not a terminal)",
    )
    _add_anomaly_option(parser)


def _add_workers_option(parser):
    parser.add_argument(
        "--workers",
        type=positive_int,
        metavar="N",
        help="train data-parallel on N MPI ranks of this machine, one core each (mpiexec); "
        "the global batch stays --batch-size; without it, training runs in this process",
    )


def _add_anomaly_option(parser):
    parser.add_argument(
        "--detect-anomaly",
        action="store_true",
        help="train under chainrule.autograd.detect_anomaly(): name the first operation whose "
        "output or gradient is NaN or infinite (slower)",
    )


def _add_data_options(parser):
    parser.add_argument(
        "--data-dir",
        default=None,
        help="data root (default: $CHAINRULE_DATA, else ~/.cache/chainrule)",
    )
    parser.add_argument(
        "--download",
        action="store_true",
        help="download a missing data set into the data root (checksummed)",
    )


def _add_viz(commands):
    pictures = commands.add_parser(
        "viz", help="pictures: kernels, learned filters, feature maps, errors (PNG files)"
    )
    kinds = pictures.add_subparsers(required=True, metavar="PICTURE")
    kernels = kinds.add_parser("kernels", help="deck D1's classic 3×3 kernels on an image")
    source = kernels.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--image", metavar="PATH", help="an image file, or ARCHIVE.zip:MEMBER (needs Pillow)"
    )
    source.add_argument(
        "--mnist-index", type=non_negative_int, metavar="N", help="MNIST test digit N"
    )
    kernels.add_argument(
        "--data-dir",
        default=None,
        help="data root for --mnist-index (default: $CHAINRULE_DATA, else ~/.cache/chainrule)",
    )
    kernels.add_argument(
        "--out",
        default=None,
        metavar="PNG",
        help=f"default: {KERNELS_FOLDER}/IMAGE.png, named after the image",
    )
    kernels.set_defaults(command=_viz_kernels)
    for name, command, help in (
        ("filters", _viz_filters, "the first conv layer's kernels"),
        ("features", _viz_features, "every layer's output for one test image"),
        ("errors", _viz_errors, "misclassified test images and the confusion matrix"),
    ):
        picture = kinds.add_parser(name, help=f"{help} (of a run folder's model)")
        picture.add_argument("run_dir", metavar="RUN_DIR")
        picture.add_argument("--checkpoint", choices=("last", "best"), default="last")
        picture.add_argument("--data-dir", default=None, help="default: the run's data root")
        picture.add_argument(
            "--out",
            default=None,
            metavar="PNG",
            help=f"default: RUN_DIR/{name}.png"
            + (" and RUN_DIR/confusion.png" if name == "errors" else ""),
        )
        if name == "features":
            picture.add_argument(
                "--index",
                type=non_negative_int,
                default=0,
                metavar="N",
                help="test image N (default 0)",
            )
        picture.set_defaults(command=command)
    _add_deconv(kinds)


def _add_deconv(kinds):
    deconv = kinds.add_parser(
        "deconv",
        help="Zeiler & Fergus's deconvnet: what makes a layer's feature maps fire (of a run "
        "folder's model)",
    )
    deconv.add_argument("run_dir", metavar="RUN_DIR")
    deconv.add_argument(
        "--layer", required=True, help="a convolution, ReLU or max-pool layer's name (e.g. c3)"
    )
    deconv.add_argument(
        "--features", type=positive_int, default=8, help="feature maps to show (default 8)"
    )
    deconv.add_argument(
        "--images",
        type=positive_int,
        default=2000,
        help="test images searched for the top activations (default 2000)",
    )
    deconv.add_argument("--checkpoint", choices=("last", "best"), default="last")
    deconv.add_argument("--data-dir", default=None, help="default: the run's data root")
    deconv.add_argument(
        "--out", default=None, metavar="PNG", help="default: RUN_DIR/deconv_LAYER.png"
    )
    deconv.set_defaults(command=_viz_deconv)


def _add_translate(commands):
    translate = commands.add_parser(
        "translate", help="translate sentences with a trained seq2seq model folder"
    )
    translate.add_argument(
        "run_dir",
        metavar="RUN_DIR",
        help="written by `chainrule train seq2seq` (or reproductions/seq2seq_multi30k.py)",
    )
    translate.add_argument("sentences", nargs="+", metavar="SENTENCE")
    translate.add_argument(
        "--beam",
        type=non_negative_int,
        default=5,
        help="beam width (default 5; 0 for greedy decoding)",
    )
    translate.add_argument("--max-len", type=positive_int, default=50)
    translate.set_defaults(command=_translate)


def _translate(args):
    """Translate with a folder of ``chainrule train seq2seq`` or of ``save_translator``."""
    from .models import seq2seq

    if not os.path.isfile(os.path.join(args.run_dir, seq2seq.CONFIG_FILE)):
        if os.path.isfile(os.path.join(args.run_dir, "config.json")):
            runs.require_kind(args.run_dir, "seq2seq", "chainrule translate")
        raise common.ConfigError(
            f"{args.run_dir} holds no {seq2seq.CONFIG_FILE}: chainrule translate reads a folder "
            "written by chainrule train seq2seq (or seq2seq.save_translator)"
        )
    model, source_vocab, target_vocab = seq2seq.load_translator(args.run_dir)
    for line in seq2seq.translate(
        model, args.sentences, source_vocab, target_vocab, args.beam, args.max_len
    ):
        print(line)
    return 0


def _train(args):
    """Every ``chainrule train APP``: the host memory policy goes on
    (``chainrule.kernels.memory``), the run folder is checked, then the app's own function
    does the work. NumPy's floating-point warnings are off, since a NaN or infinite loss stops
    the run with a sentence (``train.loop.check_finite_loss``), and ``--detect-anomaly`` names
    the op that produced it. Ctrl-C ends the run with the command that resumes it."""
    workers = getattr(args, "workers", None) or 1
    if workers > 1 and launch.launched_size() is None:
        if args.batch_size % workers:
            raise common.ConfigError(
                f"--batch-size {args.batch_size} does not split into {workers} equal worker "
                "batches; choose a multiple of --workers"
            )
        return launch.relaunch(workers, args.argv)
    _join_mpi_world(workers)
    memory.keep_freed_memory()
    resumable = hasattr(args, "resume")
    runs.check_run_folder(args.out, resumable and args.resume, resumable)
    distributed.barrier()  # no rank writes the folder before every rank has checked it
    try:
        with _anomaly_detection(args.detect_anomaly), np.errstate(all="ignore"):
            return args.app(args)
    except KeyboardInterrupt:
        print(f"chainrule: interrupted; {_where_to_resume(args, resumable)}", file=sys.stderr)
        return EXIT_INTERRUPTED


def _join_mpi_world(workers):
    """Under ``mpiexec`` (``--workers N`` relaunched, or ``mpiexec -n N chainrule train``
    directly), join the MPI world: ``fit`` then trains data-parallel."""
    size = launch.launched_size()
    if size is None:
        return
    if workers > 1 and workers != size:
        raise common.ConfigError(
            f"--workers {workers} under mpiexec -n {size}: leave --workers out, mpiexec's -n "
            "is the number of workers"
        )
    distributed.init_process_group()


@contextlib.contextmanager
def _anomaly_detection(on):
    """``detect_anomaly()`` when ``on``, its report (an AnomalyError) turned into a sentence."""
    if not on:
        yield
        return
    try:
        with detect_anomaly():
            yield
    except AnomalyError as error:
        raise common.ConfigError(
            f"training stopped: {error}; try a lower learning rate (--lr)"
        ) from None


def _where_to_resume(args, resumable):
    """What an interrupted ``chainrule train`` leaves, and the command that continues it."""
    if not resumable:
        if os.path.isfile(os.path.join(args.out, WEIGHTS_FILE)):
            return f"{args.out} holds the model of the last finished epoch"
        return "no epoch had finished; run the same command to start again"
    checkpoint = runs.last_checkpoint(args.out)
    if not os.path.isfile(checkpoint):
        return "no epoch had finished; run the same command to start again"
    again = [a for a in args.argv if a != "--resume"]
    command = shlex.join(["chainrule", *again, "--resume"])
    return f"the last checkpoint is {checkpoint}; continue the run with:\n  {command}"


def _config(config_class, args):
    """``config_class`` filled from the parsed options of the same names."""
    names = {f.name for f in dataclasses.fields(config_class)}
    return config_class(**{k: v for k, v in vars(args).items() if k in names})


def _classifier_config(args):
    """The run's ``RunConfig``: the options as parsed, and for each option left out whose
    default depends on the variant, the chosen variant's recipe."""
    recipe = models.recipe_of(args.model, getattr(args, "variant", None))
    chosen = {field: recipe[field] for field in models.varying_fields(args.model)}
    given = {k: v for k, v in vars(args).items() if v is not None or k not in chosen}
    return _config(classify.RunConfig, argparse.Namespace(**{**chosen, **given}))


def _train_classifier(args):
    config = _classifier_config(args)
    backend.normalize_device(config.device)
    splits = classify.load_splits(config, download=args.download)
    random.manual_seed(config.seed)  # the initialisation
    try:
        model = models.build(config.model, splits.input_shape, splits.num_classes, config.variant)
    except ValueError as error:  # the data set's images or classes do not fit the model
        raise common.ConfigError(f"{error} (--dataset {config.dataset})") from None
    metrics = classify.train_run(
        config, model, splits, args.out, resume=args.resume, progress=_progress(args)
    )
    if not distributed.is_main_process():
        return 0
    if splits.val is None:
        print("no validation split (--val-size 0): best.ckpt is chosen by training loss")
    print(
        f"test accuracy {metrics['test_accuracy']:.4f}, test {metrics['loss_name']} "
        f"{metrics['test_loss']:.4f} after {_epochs(metrics['epochs'])} in "
        f"{metrics['seconds']:.1f} s; run written to {args.out}"
    )
    return 0


def _add_yolo(apps):
    defaults = detection.DetectConfig()
    parser = _app_parser(
        apps,
        "yolo",
        help="a YOLO v1-style detector of MNIST digits on 112×112 scenes",
        description="Train a YOLO v1-style detector (7×7 grid, 2 boxes a cell) on scenes of "
        "1 to 5 MNIST digits; reports test mAP@0.5 (chainrule.apps.detect).",
    )
    parser.set_defaults(app=_train_yolo)
    _add_config_options(
        parser,
        defaults,
        train_scenes="training scenes",
        test_scenes="test scenes",
        width="the backbone's first channels",
        epochs="epochs",
        batch_size="scenes a step",
        optimizer="the optimiser",
        lr="learning rate",
        lr_schedule="stepped once per epoch",
    )
    _add_run_options(parser, defaults)


def _train_yolo(args):
    config = _config(detection.DetectConfig, args)
    metrics = detection.train_detector(config, args.out, resume=args.resume, download=args.download)
    print(
        f"test mAP@0.5 {metrics['test_map50']:.4f} after {_epochs(metrics['epochs'])} in "
        f"{metrics['seconds']:.1f} s; run written to {args.out}"
    )
    return 0


def _add_detect(commands):
    detect = commands.add_parser(
        "detect", help="draw the digits a trained yolo run finds in an image (PNG)"
    )
    detect.add_argument("run_dir", metavar="RUN_DIR")
    source = detect.add_mutually_exclusive_group(required=True)
    source.add_argument("image", nargs="?", help="a grey-level image of the run's canvas size")
    source.add_argument(
        "--scene", type=non_negative_int, metavar="N", help="test scene N of the run"
    )
    detect.add_argument("--out", required=True, metavar="PNG", help="the picture with boxes")
    detect.add_argument(
        "--threshold", type=probability, default=0.3, help="lowest score drawn (default 0.3)"
    )
    detect.set_defaults(command=_detect)


def _detect(args):
    model, config = detection.load_detector(args.run_dir)
    image = detection.read_image(args.run_dir, config, args.image, args.scene)
    found = detection.detect_image(model, image, args.threshold)
    detection.draw_detections(image, found, args.out)
    for box, score, label in zip(found["boxes"], found["scores"], found["labels"]):
        print(f"{label} {score:.3f} " + " ".join(f"{v:.1f}" for v in box))
    return 0


def _add_caption(commands):
    caption = commands.add_parser(
        "caption", help="the caption a trained captioner run writes for a picture"
    )
    caption.add_argument("run_dir", metavar="RUN_DIR")
    source = caption.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "image", nargs="?", help="a 96×96 grey-level image, ink bright on dark as MNIST"
    )
    source.add_argument(
        "--scene", type=non_negative_int, metavar="N", help="held-out scene N of the run"
    )
    caption.add_argument(
        "--beam", type=non_negative_int, default=5, help="beam width (default 5; 0: greedy)"
    )
    caption.set_defaults(command=_caption)


def _caption(args):
    model, config = captioner.load_captioner(args.run_dir)
    picture = captioner.read_scene(config, args.image, args.scene)
    print(" ".join(captioner.caption(model, picture[None, None], args.beam)[0]))
    return 0


def _epochs(count):
    return f"{count} epoch{'s' if count != 1 else ''}"


def _progress(args):
    """What ``common.progress_callbacks`` shows: a bar on a terminal, else one line per epoch."""
    return "lines" if args.no_progress else "auto"


def _train_char_lm(args):
    config = _config(char_lm.LMConfig, args)
    backend.normalize_device(config.device)
    metrics = char_lm.train_lm(
        config, args.out, resume=args.resume, progress=_progress(args), download=args.download
    )
    if not distributed.is_main_process():
        return 0
    print(
        f"validation loss {metrics['val_loss']:.4f} nats/char "
        f"({metrics['val_bits_per_char']:.4f} bits/char) after {_epochs(metrics['epochs'])} "
        f"({metrics['steps']} steps) in {metrics['seconds']:.1f} s; run written to {args.out}"
    )
    return 0


def _train_textcnn(args):
    config = _config(textcnn.TextCNNConfig, args)
    backend.normalize_device(config.device)
    metrics = textcnn.train_textcnn(
        config, args.out, resume=args.resume, download=args.download, log=_stderr_line
    )
    print(
        f"test accuracy {metrics['test_accuracy']:.4f} (mean of {metrics['splits']} "
        f"split{'s' if metrics['splits'] > 1 else ''}) after {_epochs(config.epochs)} each in "
        f"{metrics['seconds']:.1f} s; run written to {args.out}"
    )
    return 0


def _stderr_line(line):
    print(line, file=sys.stderr)


def _train_seq2seq(args):
    config = _config(translation.Seq2SeqConfig, args)
    metrics = translation.train_seq2seq(
        config, args.out, download=args.download, log=lambda line: print(line, file=sys.stderr)
    )
    beam = f", beam {config.beam} {metrics['test_bleu_beam']:.2f}" if config.beam else ""
    print(
        f"test BLEU greedy {metrics['test_bleu_greedy']:.2f}{beam}, test loss "
        f"{metrics['test_loss']:.4f} after {_epochs(metrics['epochs'])} in "
        f"{metrics['seconds']:.1f} s; run written to {args.out}"
    )
    return 0


def _train_autoencoder(args):
    config = _config(autoencoder.AutoencoderConfig, args)
    backend.normalize_device(config.device)
    metrics = autoencoder.train_autoencoder(
        config, args.out, resume=args.resume, progress=_progress(args), download=args.download
    )
    print(
        f"test reconstruction MSE {metrics['test_mse']:.5f} after {_epochs(metrics['epochs'])} "
        f"in {metrics['seconds']:.1f} s; run written to {args.out}"
    )
    return 0


def _train_captioner(args):
    config = _config(captioner.CaptionConfig, args)
    metrics = captioner.train_captioner(
        config, args.out, resume=args.resume, log=_stderr_line, download=args.download
    )
    figures = [f"held-out exact match {_caption_figures(metrics, '')}"]
    if "beam_exact_match" in metrics:
        figures.append(f"beam search {_caption_figures(metrics, 'beam_')}")
    print(f"{'; '.join(figures)} after {_epochs(metrics['epoch'])}; run written to {args.out}")
    return 0


def _caption_figures(metrics, prefix):
    unseen = metrics[f"{prefix}unseen_exact_match"]
    unseen = "none held out" if unseen is None else f"{unseen:.3f}"
    return (
        f"{metrics[f'{prefix}exact_match']:.3f} (unseen combinations {unseen}), "
        f"BLEU-4 {metrics[f'{prefix}bleu']:.2f}"
    )


def _sample(args):
    runs.require_kind(args.run_dir, "char-lm", "chainrule sample")
    model, vocab, _ = char_lm.load_trained(args.run_dir, args.checkpoint, args.device)
    unknown = sorted(set(args.prime) - set(vocab.chars))
    if unknown:
        raise common.ConfigError(
            f"the prime holds characters the model never saw: {''.join(unknown)!r}"
        )
    print(
        sample(
            model,
            vocab,
            args.prime,
            args.length,
            args.temperature,
            args.top_k,
            args.seed,
            args.device,
        )
    )
    return 0


def _eval(args):
    runs.require_kind(args.run_dir, "classifier", "chainrule eval")
    trained = runs.load_run(args.run_dir, args.checkpoint, args.data_dir, args.device)
    metrics = runs.evaluate_run(trained)
    print(json.dumps({k: v for k, v in metrics.items() if k != "test_confusion"}))
    print("confusion (rows: true class, columns: predicted):")
    print(metrics["test_confusion"])
    return 0


def _info(args):
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
        name = os.path.splitext(os.path.basename(args.image))[0]
    else:
        digits = data.MNIST(args.data_dir, train=False).data
        if args.mnist_index >= len(digits):
            raise common.ConfigError(
                f"--mnist-index must be between 0 and {len(digits) - 1}, got {args.mnist_index}"
            )
        image, source = digits[args.mnist_index] / 255, f"MNIST test digit {args.mnist_index}"
        name = f"mnist-test-{args.mnist_index}"
    out = _png_path(args.out or os.path.join(KERNELS_FOLDER, f"{name}.png"))
    kernels.plot_classic_kernels(image, out)
    print(f"{source}: classic kernels written to {out}")
    return 0


def _png_path(path):
    """``path``, refused if it names a folder (a picture is written to a file)."""
    if os.path.isdir(path):
        raise common.ConfigError(f"--out {path} is a folder; give the path of a PNG file")
    return path


def _viz_filters(args):
    from .viz import filters

    trained = _trained_classifier(args, "filters")
    out = _png_path(args.out or os.path.join(args.run_dir, "filters.png"))
    filters.plot_filters(
        filters.first_conv_weight(trained.model),
        out,
        title=f"first convolution of {_run_name(trained)}",
    )
    print(f"learned kernels written to {out}")
    return 0


def _viz_features(args):
    from .viz import errors, features

    trained = _trained_classifier(args, "features")
    if args.index >= len(trained.labels):
        raise common.ConfigError(
            f"--index must be between 0 and {len(trained.labels) - 1}, got {args.index}"
        )
    image = trained.images[args.index]
    predicted = errors.predict_classes(trained.model, image[None])[0]
    out = _png_path(args.out or os.path.join(args.run_dir, f"features_{args.index}.png"))
    features.plot_feature_maps(
        trained.model,
        image,
        out,
        title=f"{_run_name(trained)}, test image {args.index}: "
        f"label {trained.labels[args.index]}, predicted {predicted}",
    )
    print(f"feature maps written to {out}")
    return 0


def _viz_errors(args):
    from .viz import errors

    trained = _trained_classifier(args, "errors")
    predicted = errors.predict_classes(trained.model, trained.images)
    out = _png_path(args.out or os.path.join(args.run_dir, "errors.png"))
    confusion_out = os.path.join(os.path.dirname(out), "confusion.png")
    wrong = errors.plot_misclassified(trained.images, trained.labels, predicted, out)
    errors.plot_confusion(
        errors.confusion_matrix(predicted, trained.labels, trained.num_classes), confusion_out
    )
    print(
        f"{len(wrong)} of {len(predicted)} test images misclassified; pictures written to "
        f"{out} and {confusion_out}"
    )
    return 0


def _viz_deconv(args):
    from .viz import deconv

    trained = _trained_classifier(args, "deconv")
    out = _png_path(args.out or os.path.join(args.run_dir, f"deconv_{args.layer}.png"))
    chosen = deconv.plot_top_projections(
        trained.model, trained.images[: args.images], args.layer, out, features=args.features
    )
    print(
        f"top-9 projections of {len(chosen)} feature maps of {args.layer} "
        f"({_run_name(trained)}, {min(args.images, len(trained.images))} test images) "
        f"written to {out}"
    )
    return 0


def _trained_classifier(args, picture):
    """The classifier run that ``chainrule viz PICTURE RUN_DIR`` draws, on the CPU."""
    runs.require_kind(args.run_dir, "classifier", f"chainrule viz {picture}")
    return runs.load_run(args.run_dir, args.checkpoint, args.data_dir, "cpu")


def _run_name(trained):
    config = trained.config
    return f"{config.model}" + (f" ({config.variant})" if config.variant else "")


def _gpus():
    if not backend.cuda_is_available():
        return []
    runtime = backend.cupy.cuda.runtime
    return [
        f"cuda:{i} {runtime.getDeviceProperties(i)['name'].decode()}"
        for i in range(runtime.getDeviceCount())
    ]


def _blas():
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return ["(install threadpoolctl to see which BLAS NumPy uses)"]
    pools = [p for p in threadpool_info() if p.get("user_api") == "blas"]
    return [
        f"{p.get('internal_api')} {p.get('version')} ({p.get('architecture')}, "
        f"{p.get('num_threads')} threads)"
        for p in pools
    ] or ["none found"]


def _corpora():
    """``(name, folder, files)`` of every corpus the data root can hold; ``files`` are the
    canonical names a loader declares (a gzipped one may also lie uncompressed), or None where
    no loader declares them (any file in the folder counts)."""
    from .data.parallel import Multi30k
    from .data.text import CORPORA

    yield "mnist", data.MNIST.folder, list(data.MNIST.checksums)
    for name, (folder, remote) in CORPORA.items():
        yield name, folder, [remote.name]
    yield "multi30k", Multi30k.folder, list(Multi30k.checksums)
    yield "cifar10", "cifar10", None
    yield "sentence", "sentence", None


def _datasets_found(root):
    """For each corpus of ``_corpora``, whether its files are under ``root``."""
    for name, folder, files in _corpora():
        folder = root / folder
        if files is None:
            found = folder.is_dir() and any(p.is_file() for p in folder.iterdir())
            yield name, "found" if found else f"missing: no files in {folder}"
            continue
        missing = [
            f
            for f in files
            if not any(os.path.isfile(folder / c) for c in (f, f.removesuffix(".gz")))
        ]
        yield (
            name,
            "found" if not missing else f"missing {len(missing)} of {len(files)} files in {folder}",
        )
