"""The registry of models trainable from a data set: what ``chainrule train NAME`` chooses from.

A model registers itself with ``@register("name")``: the registered function takes the data
set's ``input_shape`` (without the batch axis) and ``num_classes`` and returns the model sized
for it. It may also register ``variants`` (the builder then takes ``variant=``, the first one
being the default) and a training ``recipe``: the ``RunConfig`` values (epochs, optimizer, lr,
…) that ``chainrule train NAME`` uses unless the command line sets them. Variants trained
differently (NIN's MNIST and CIFAR-10 forms) register ``variant_recipes``: per variant, the
values where its recipe differs from ``recipe``; ``recipe_of(name, variant)`` merges the two.
"""

TRAINABLE = {}
VARIANTS = {}
RECIPES = {}
VARIANT_RECIPES = {}


def register(name, variants=(), recipe=None, variant_recipes=None):
    """Decorator: make ``builder(input_shape, num_classes[, variant=])`` trainable as ``name``."""
    unknown = set(variant_recipes or {}) - set(variants)
    if unknown:
        raise ValueError(f"model {name!r}: recipes for variants it does not have: {unknown}")

    def decorate(builder):
        if name in TRAINABLE:
            raise ValueError(f"model {name!r} is registered twice")
        TRAINABLE[name] = builder
        VARIANTS[name] = tuple(variants)
        RECIPES[name] = dict(recipe or {})
        VARIANT_RECIPES[name] = {v: dict(r) for v, r in (variant_recipes or {}).items()}
        return builder

    return decorate


def recipe_of(name, variant=None):
    """The training values of ``name`` in ``variant`` (default: its first variant)."""
    if variant is None and VARIANTS[name]:
        variant = VARIANTS[name][0]
    return {**RECIPES[name], **VARIANT_RECIPES[name].get(variant, {})}


def varying_fields(name):
    """The recipe fields some variant of ``name`` sets differently: {field: {variant: value}}."""
    fields = {key for changes in VARIANT_RECIPES[name].values() for key in changes}
    return {key: {v: recipe_of(name, v).get(key) for v in VARIANTS[name]} for key in sorted(fields)}


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
