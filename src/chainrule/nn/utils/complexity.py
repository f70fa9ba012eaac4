"""What a network costs, layer by layer: output shape, parameters and multiply-adds.

``layer_table(model, (3, 224, 224))`` runs one forward pass of a single zero image (under
``no_grad``) with a forward hook on every module and returns the rows of deck D3's tables
(GoogLeNet's "params" and "ops" columns, ResNet's "FLOPs" row): one row per module down to
``depth`` levels (1: the model's children; each module followed by the modules inside it), each
with the shape of its output, its parameters and the multiply-adds of the convolutions and fully
connected layers inside it, plus the totals. ``format_layer_table`` prints it as ``chainrule
summary`` does::

    layer    type               output shape  parameters  multiply-adds
    conv1    Conv2d             16×32×32             432        442,368
    …
    total                                        269,722     40,551,040

A multiply-add is one w·x accumulated: a convolution producing C_out×H×W maps from C_in inputs
with a k_h×k_w kernel costs C_out·H·W·(C_in/groups)·k_h·k_w of them, a fully connected layer
in·out. Biases, activations, pooling and normalisation are not counted, as in the papers'
tables.
"""

import math

from ...autograd import no_grad
from ...creation import zeros
from ..conv import Conv1d, Conv2d, ConvTranspose2d
from ..linear import Linear


def multiply_adds(module, args, output):
    """The multiply-adds of one call of ``module`` (0 for modules without weights to apply)."""
    if isinstance(module, (Conv1d, Conv2d)):
        per_output = (module.in_channels // module.groups) * math.prod(module.kernel_size)
        return output.numel() * per_output
    if isinstance(module, ConvTranspose2d):
        per_input = (module.out_channels // module.groups) * math.prod(module.kernel_size)
        return args[0].numel() * per_input
    if isinstance(module, Linear):
        return output.numel() * module.in_features
    return 0


def layer_table(model, input_size, depth=1):
    """Rows ``{"name", "depth", "type", "output_shape", "parameters", "multiply_adds"}`` for the
    modules 1 to ``depth`` levels below ``model`` that run (in the order ``named_modules`` gives:
    a module, then the modules inside it), and ``{"parameters", "multiply_adds"}`` totals, for
    one input of shape ``input_size`` (without the batch axis)."""
    cost, shapes, handles = {}, {}, []
    for name, module in model.named_modules():

        def record(module, args, output, name=name):
            cost[name] = cost.get(name, 0) + multiply_adds(module, args, output)
            shapes.setdefault(name, _shape_of(output))

        handles.append(module.register_forward_hook(record))
    parameter = next(iter(model.parameters()), None)
    device = parameter.device if parameter is not None else "cpu"
    dtype = parameter.dtype if parameter is not None else None
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            model(zeros((1, *input_size), dtype=dtype, device=device))
    finally:
        for handle in handles:
            handle.remove()
        model.train(was_training)
    rows = [
        _row(name, module, cost, shapes)
        for name, module in model.named_modules()
        if name and name.count(".") < depth and name in shapes
    ]
    totals = {
        "parameters": sum(p.numel() for p in model.parameters()),
        "multiply_adds": sum(cost.values()),
    }
    return {"rows": rows, "totals": totals}


def _row(name, module, cost, shapes):
    inside = [n for n in cost if n == name or n.startswith(name + ".")]
    return {
        "name": name,
        "depth": name.count(".") + 1,
        "type": type(module).__name__,
        "output_shape": shapes[name],
        "parameters": sum(p.numel() for p in module.parameters()),
        "multiply_adds": sum(cost[n] for n in inside),
    }


def _shape_of(output):
    if isinstance(output, tuple):
        output = output[0]
    return list(output.shape[1:])


def format_layer_table(table, depth=None):
    """``layer_table``'s ``table`` as aligned text: one line per row down to ``depth`` levels
    (None: every row), its name indented by its level, with type, output shape, parameters and
    multiply-adds (thousands separated), and a last line of totals."""
    header = ("layer", "type", "output shape", "parameters", "multiply-adds")
    lines = [header] + [
        (
            "  " * (row["depth"] - 1) + row["name"],
            row["type"],
            "×".join(map(str, row["output_shape"])),
            f"{row['parameters']:,}",
            f"{row['multiply_adds']:,}",
        )
        for row in table["rows"]
        if depth is None or row["depth"] <= depth
    ]
    totals = table["totals"]
    lines.append(("total", "", "", f"{totals['parameters']:,}", f"{totals['multiply_adds']:,}"))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    return "\n".join(_aligned(line, widths) for line in lines)


def _aligned(line, widths):
    """Text columns left-aligned, number columns (the last two) right-aligned."""
    cells = [cell.ljust(width) for cell, width in zip(line[:3], widths)]
    cells += [cell.rjust(width) for cell, width in zip(line[3:], widths[3:])]
    return "  ".join(cells).rstrip()
