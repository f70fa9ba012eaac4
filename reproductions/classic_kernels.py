"""Deck D1's table of classic 3×3 kernels (identity, edge detection, sharpen, box and Gaussian
blur; "1.2.2 Convolution layer") plus the Sobel pair, applied with ``chainrule.functional.conv2d``
to a real photograph.

The photograph is CIFAR-10 test image ``horse/0000.jpg`` (32×32, from the data mirror's zip),
turned grey; ``--image`` takes any other image file or ``ARCHIVE.zip:MEMBER``. The same picture
comes from ``chainrule viz kernels --image ...``.

    CHAINRULE_DATA=../shared/data .venv/bin/python reproductions/classic_kernels.py

Writes ``reproductions/results/classic_kernels.png``. Needs Pillow to read the JPEG.
"""

import argparse
from pathlib import Path

from chainrule.data import data_root
from chainrule.viz import kernels

RESULTS = Path(__file__).resolve().parent / "results"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--image",
        default=None,
        help="an image file or ARCHIVE.zip:MEMBER (default: CIFAR-10 "
        "test/horse/0000.jpg under the data root)",
    )
    parser.add_argument("--out", default=str(RESULTS / "classic_kernels.png"))
    args = parser.parse_args()
    archive = data_root()[0] / "cifar10" / "cifar10-jpg.zip"
    image_path = args.image or f"{archive}:test/horse/0000.jpg"
    kernels.plot_classic_kernels(kernels.read_image(image_path), args.out)
    print(f"{image_path} -> {args.out}")


if __name__ == "__main__":
    main()
