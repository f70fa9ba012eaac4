"""What the training distortions look like: MNIST digits, then random draws of LeCun et al.
(1998)'s affine distortions (translation, scale, squeeze, shear) and of Simard et al. (2003)'s
elastic distortions (α = 34, σ = 4), from ``chainrule.data.augment.RandomDistortion``.

    CHAINRULE_DATA=../shared/data .venv/bin/python reproductions/distortions.py

Writes ``reproductions/results/distortions.png``.
"""

import argparse
from pathlib import Path

import chainrule as cr
from chainrule.data import MNIST
from chainrule.data.augment import RandomDistortion
from chainrule.viz.figure import plt, save

RESULTS = Path(__file__).resolve().parent / "results"
ROWS = (
    ("original", None, 1),
    ("affine", RandomDistortion(), 3),
    ("elastic α=34 σ=4", RandomDistortion(0, (1, 1), 0, 0, elastic_alpha=34.0), 2),
    ("affine + elastic", RandomDistortion(elastic_alpha=34.0), 2),
)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--digits", type=int, default=10)
    parser.add_argument("--out", default=str(RESULTS / "distortions.png"))
    args = parser.parse_args()
    digits = MNIST(train=False).data[: args.digits]
    cr.manual_seed(0)
    rows = [
        (label, digits if t is None else t.apply_batch(digits))
        for label, t, repeats in ROWS
        for _ in range(repeats)
    ]
    figure, axes = plt.subplots(
        len(rows),
        len(digits),
        squeeze=False,
        figsize=(0.8 * len(digits) + 1.4, 0.8 * len(rows) + 0.6),
    )
    figure.subplots_adjust(
        left=1.4 / (0.8 * len(digits) + 1.4),
        right=0.99,
        wspace=0.05,
        hspace=0.05,
        top=1 - 0.5 / (0.8 * len(rows) + 0.6),
        bottom=0.02,
    )
    for r, (label, images) in enumerate(rows):
        for c, image in enumerate(images):
            ax = axes[r, c]
            ax.imshow(image, cmap="gray_r", vmin=0, vmax=255, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
        if r == 0 or rows[r - 1][0] != label:
            axes[r, 0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=9)
    figure.suptitle(
        "MNIST test digits and random distortions of them (one draw per row)", fontsize=10
    )
    save(figure, args.out)
    print(f"distortions written to {args.out}")


if __name__ == "__main__":
    main()
