"""Counting parameters: ``parameter_count(model)`` and a per-layer table ``summary(model)``.

Counts are the number of scalar weights, each shared parameter counted once, as
``sum(p.numel() for p in torch_model.parameters())`` gives in PyTorch.
"""


def parameter_count(module, trainable_only=False):
    """The number of scalars in ``module``'s parameters (only those that require grad when
    ``trainable_only``). ``Linear(784, 256)`` has 784·256 + 256 = 200,960."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only)


def summary(module):
    """A table of every submodule that holds parameters of its own, with their count, and the
    totals; returned as a string (``print(summary(model))``)::

        layer      type      parameters
        0          Linear       200,960
        2          Linear         2,570
        total                   203,530  (trainable 203,530)
    """
    rows = [
        (name or "(self)", type(sub).__name__, parameter_count_own(sub))
        for name, sub in module.named_modules()
    ]
    rows = [row for row in rows if row[2] > 0]
    total = parameter_count(module)
    trainable = parameter_count(module, trainable_only=True)
    name_width = max([len("layer")] + [len(r[0]) for r in rows])
    type_width = max([len("type")] + [len(r[1]) for r in rows])
    count_width = max(len("parameters"), len(f"{total:,}"))
    lines = [f"{'layer':<{name_width}}  {'type':<{type_width}}  {'parameters':>{count_width}}"]
    lines += [
        f"{name:<{name_width}}  {kind:<{type_width}}  {count:>{count_width},}"
        for name, kind, count in rows
    ]
    lines.append(
        f"{'total':<{name_width}}  {'':<{type_width}}  {total:>{count_width},}"
        f"  (trainable {trainable:,})"
    )
    return "\n".join(lines)


def parameter_count_own(module):
    """Scalars in the parameters registered directly on ``module`` (not its children)."""
    return sum(p.numel() for p in module.parameters(recurse=False))
