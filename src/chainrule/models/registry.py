"""The registry of models trainable from a data set: what ``chainrule train NAME`` chooses from.

A model registers itself with ``@register("name")``: the registered function takes the data
set's ``input_shape`` (without the batch axis) and ``num_classes`` and returns the model sized
for it. It may also register ``variants`` (the builder then takes ``variant=``, the first one
being the default) and a training ``recipe``: the ``RunConfig`` values (epochs, optimizer, lr,
…) that ``chainrule train NAME`` uses unless the command line sets them.
"""

TRAINABLE = {}
VARIANTS = {}
RECIPES = {}


def register(name, variants=(), recipe=None):
    """Decorator: make ``builder(input_shape, num_classes[, variant=])`` trainable as ``name``."""

    def decorate(builder):
        if name in TRAINABLE:
            raise ValueError(f"model {name!r} is registered twice")
        TRAINABLE[name] = builder
        VARIANTS[name] = tuple(variants)
        RECIPES[name] = dict(recipe or {})
        return builder

    return decorate


def build(name, input_shape, num_classes, variant=None):
    """The registered model ``name`` (its ``variant``, default the first registered one) sized for
    inputs of ``input_shape`` and ``num_classes``."""
    if name not in TRAINABLE:
        raise KeyError(f"unknown model {name!r}; trainable models: {', '.join(sorted(TRAINABLE))}")
    if not VARIANTS[name]:
        if variant is not None:
            raise KeyError(f"model {name!r} has no variants (got variant {variant!r})")
        return TRAINABLE[name](input_shape, num_classes)
    if variant is None:
        variant = VARIANTS[name][0]
    if variant not in VARIANTS[name]:
        raise KeyError(
            f"model {name!r} has no variant {variant!r}; choose one of {', '.join(VARIANTS[name])}"
        )
    return TRAINABLE[name](input_shape, num_classes, variant=variant)
