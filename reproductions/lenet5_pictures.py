"""Pictures of a trained LeNet-5 (deck D3, "LeNet-5"): its learned C1 kernels, every layer's
output for one test digit, the test digits it gets wrong ("true→predicted", as deck D3's
"错误识别分析" slide) and its confusion matrix.

The run folder comes from ``reproductions/lenet5_mnist.py`` or ``chainrule train lenet5``; the
same pictures come one by one from ``chainrule viz filters|features|errors RUN_DIR``.

    CHAINRULE_DATA=../shared/data .venv/bin/python reproductions/lenet5_pictures.py \\
        runs/lenet5_classic [--index 0]

Writes ``reproductions/results/<run name>_{filters,features,errors,confusion}.png`` and prints
the error count.
"""

import argparse
from pathlib import Path

from chainrule import viz
from chainrule.apps import runs

RESULTS = Path(__file__).resolve().parent / "results"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("run_dir")
    parser.add_argument("--index", type=int, default=0, help="test digit for the feature maps")
    parser.add_argument("--checkpoint", choices=("last", "best"), default="last")
    parser.add_argument(
        "--name", default=None, help="file name prefix (default: the run folder's name)"
    )
    parser.add_argument("--out-dir", default=str(RESULTS))
    args = parser.parse_args()
    trained = runs.load_run(args.run_dir, args.checkpoint, device="cpu")
    name = args.name or Path(args.run_dir).name
    out = Path(args.out_dir)
    variant = f"LeNet-5 {trained.config.variant}"
    model, images, labels = trained.model, trained.images, trained.labels

    viz.plot_filters(
        viz.first_conv_weight(model), out / f"{name}_filters.png", title=f"{variant}: C1"
    )
    predicted = viz.predict_classes(model, images)
    viz.plot_feature_maps(
        model,
        images[args.index],
        out / f"{name}_features.png",
        title=f"{variant}, test digit {args.index}: label "
        f"{labels[args.index]}, predicted {predicted[args.index]}",
    )
    wrong = viz.plot_misclassified(
        images, labels, predicted, out / f"{name}_errors.png", label=f"{variant}, test set"
    )
    viz.plot_confusion(
        viz.confusion_matrix(predicted, labels, trained.num_classes),
        out / f"{name}_confusion.png",
        label=variant,
    )
    print(
        f"{name}: {len(wrong)} of {len(labels)} test digits misclassified "
        f"({100 * len(wrong) / len(labels):.2f}% error); pictures in {out}/{name}_*.png"
    )


if __name__ == "__main__":
    main()
