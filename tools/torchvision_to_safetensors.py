"""Convert a torchvision checkpoint to a safetensors file that a chainrule zoo model loads.

    python tools/torchvision_to_safetensors.py resnet18 resnet18-f37072fd.pth resnet18.safetensors

The zoo models named in ``chainrule.models.zoo.TORCHVISION`` use torchvision's layer names, so the
conversion is a change of file format: each tensor is written as it is, after checking that its
name and shape are the chainrule model's. Then::

    model = chainrule.models.resnet18()
    model.load_state_dict(chainrule.serialization.load_file("resnet18.safetensors"))

gives torchvision's logits. Reading the .pth needs PyTorch (``torch.load(weights_only=True)``,
which runs no code from the file); chainrule itself never unpickles.
"""

import argparse
import sys

from chainrule import serialization
from chainrule.models.zoo import TORCHVISION


def convert_state_dict(name, state_dict):
    """``{key: numpy array}`` from a torchvision ``state_dict``, checked against the chainrule
    model ``name`` (same keys, same shapes); raises ValueError naming the first difference."""
    if name not in TORCHVISION:
        raise ValueError(
            f"no chainrule twin for torchvision model {name!r}; choose one of "
            f"{', '.join(TORCHVISION)}"
        )
    expected = {k: tuple(v.shape) for k, v in TORCHVISION[name]().state_dict().items()}
    arrays = {key: value.detach().cpu().numpy() for key, value in state_dict.items()}
    missing = sorted(set(expected) - set(arrays))
    unexpected = sorted(set(arrays) - set(expected))
    if missing or unexpected:
        raise ValueError(
            f"{name}: the checkpoint's keys differ from the model's (missing: "
            f"{missing[:5]}, unexpected: {unexpected[:5]})"
        )
    for key, shape in expected.items():
        if arrays[key].shape != shape:
            raise ValueError(
                f"{name}: {key} has shape {arrays[key].shape} in the checkpoint "
                f"and {shape} in the model"
            )
    return arrays


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("model", choices=sorted(TORCHVISION))
    parser.add_argument("checkpoint", help="torchvision .pth file (a state_dict)")
    parser.add_argument("output", help="the .safetensors file to write")
    args = parser.parse_args(argv)
    import torch

    state_dict = torch.load(args.checkpoint, map_location="cpu", weights_only=True)
    try:
        arrays = convert_state_dict(args.model, state_dict)
    except ValueError as error:
        print(f"torchvision_to_safetensors: error: {error}", file=sys.stderr)
        return 2
    serialization.save_file(arrays, args.output, metadata={"source": f"torchvision {args.model}"})
    print(f"wrote {len(arrays)} tensors to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
