"""Tracing: run a model once and record every op it calls, as ``torch.jit.trace`` does.

``record(model, inputs)`` runs ``model(*inputs)`` in evaluation mode under ``no_grad`` with a
tracer in ``Function.apply`` (``autograd.set_tracer``): each op call becomes an ``Event`` —
the Function class, its input tensors, its options and its output tensors — tagged with the
dotted name of the module that ran it. A module whose class has a whole-module mapping (the
seq2seq ``Encoder``) is recorded as one event of its own, its inner ops left out.

A trace holds the numbers of one batch size. ``export`` records two (batch N and N + 1) and
compares them: an array that differs in size between the two follows the batch, everything
else is fixed (``Value.batch_axes``).
"""

import dataclasses

from .. import autograd
from ..autograd import Tensor, no_grad


@dataclasses.dataclass
class Event:
    """One op call: ``function`` (a Function class, or a Module class with a whole-module
    mapping), ``inputs`` (Tensors or None), ``options`` (keyword arguments), ``outputs``
    (Tensors), ``module`` (the dotted name of the module that called it, "" for the model),
    and ``versions``, each input's in-place version counter at the call."""

    function: type
    inputs: tuple
    options: dict
    outputs: tuple
    module: str
    versions: tuple


@dataclasses.dataclass
class Trace:
    """The events of one run, the flattened input and output tensors, and the output of each
    module named in ``extra_outputs``."""

    events: list
    inputs: tuple
    outputs: tuple
    extra_outputs: dict


def flatten(structure):
    """The tensors of a tensor, or of nested tuples and lists of them, in order."""
    if isinstance(structure, (tuple, list)):
        return tuple(t for part in structure for t in flatten(part))
    return (structure,)


class _Recorder:
    def __init__(self, model, whole_modules, extra_outputs):
        self.events, self.path, self.suspended = [], [], 0
        self.extra = {}
        self.names = {id(module): name for name, module in model.named_modules()}
        self.handles = []
        for name, module in model.named_modules():
            whole = type(module) in whole_modules
            self.handles.append(module.register_forward_pre_hook(self.enter(name, whole)))
            self.handles.append(
                module.register_forward_hook(self.leave(name, whole, name in extra_outputs))
            )

    def __call__(self, function, inputs, options, outputs):
        if not self.suspended:
            module = self.path[-1] if self.path else ""
            versions = tuple(0 if t is None else t._version for t in inputs)
            event = Event(function, inputs, options, flatten(outputs), module, versions)
            self.events.append(event)

    def enter(self, name, whole):
        def hook(module, args):
            self.path.append(name)
            self.suspended += whole

        return hook

    def leave(self, name, whole, extra):
        def hook(module, args, output):
            self.path.pop()
            if whole:
                self.suspended -= 1
                self(type(module), flatten(args), {"module": module}, output)
            if extra:
                self.extra[name] = output

        return hook

    def remove(self):
        for handle in self.handles:
            handle.remove()


def record(model, inputs, whole_modules=(), extra_outputs=()):
    """Run ``model(*inputs)`` in evaluation mode under ``no_grad`` and return its ``Trace``;
    the model's training mode is restored afterwards."""
    was_training = model.training
    recorder = _Recorder(model, whole_modules, extra_outputs)
    previous = autograd.set_tracer(recorder)
    model.eval()
    try:
        with no_grad():
            output = model(*inputs)
    finally:
        autograd.set_tracer(previous)
        recorder.remove()
        model.train(was_training)
    missing = [name for name in extra_outputs if name not in recorder.extra]
    if missing:
        raise ValueError(
            f"onnx.export: extra_outputs {', '.join(map(repr, missing))} name no module that "
            "ran in the model's forward (names are those of model.named_modules())"
        )
    outputs = flatten(output)
    for tensor in outputs:
        if not isinstance(tensor, Tensor):
            raise TypeError(
                f"onnx.export: the model returned a {type(tensor).__name__}; only Tensors "
                "(or tuples of them) can be graph outputs"
            )
    extra = {name: flatten(recorder.extra[name])[0] for name in extra_outputs}
    return Trace(recorder.events, tuple(inputs), outputs, extra)
