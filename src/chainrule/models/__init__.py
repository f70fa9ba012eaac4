"""The model zoo: functions that build ready-to-train ``nn.Module``s.

Besides plain builders (``mlp(...)``), a model can register itself as *trainable from a data
set* with ``@register("name")``: the registered function takes the data set's
``input_shape`` (without the batch axis) and ``num_classes`` and returns the model sized for it.
That registry is what ``chainrule train <name>`` chooses from; adding a model to the CLI is
one decorated function in its own module plus its import below.
"""

TRAINABLE = {}


def register(name):
    """Decorator: make ``builder(input_shape, num_classes)`` trainable as ``name``."""
    def decorate(builder):
        if name in TRAINABLE:
            raise ValueError(f"model {name!r} is registered twice")
        TRAINABLE[name] = builder
        return builder
    return decorate


def build(name, input_shape, num_classes):
    """The registered model ``name`` sized for inputs of ``input_shape`` and ``num_classes``."""
    if name not in TRAINABLE:
        raise KeyError(f"unknown model {name!r}; trainable models: {', '.join(sorted(TRAINABLE))}")
    return TRAINABLE[name](input_shape, num_classes)


from .mlp import mlp  # noqa: E402  (modules register themselves with the registry above)

__all__ = ["TRAINABLE", "register", "build", "mlp"]
