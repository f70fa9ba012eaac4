"""Export a model to ONNX, the exchange format of trained networks, by tracing (as
``torch.onnx.export`` does): ``chainrule.onnx.export(model, example_input, "model.onnx")``.

``trace`` records the ops of one forward pass, ``graph`` turns the records into an ONNX graph
(constants, the symbolic batch), ``ops`` maps each op to standard ONNX operators and
``modules`` maps whole modules that tracing alone cannot express. Needs the ``onnx`` package
(``pip install chainrule[onnx]``; onnxruntime runs the result). docs/onnx.md has the details.
"""

import onnx

from .. import backend
from ..autograd import Tensor
from ..creation import as_tensor
from . import graph, modules, ops, trace
from .graph import ExportError

__all__ = ["export", "to_model", "ExportError"]


def export(
    model,
    example_input,
    path,
    opset=17,
    input_names=None,
    output_names=None,
    dynamic_batch=True,
    extra_outputs=(),
    batch_axis=0,
):
    """Trace ``model`` on ``example_input`` and write the ONNX model to ``path``; returns the
    ``onnx.ModelProto``.

    ``example_input``: a Tensor or array, or a tuple of them for a model of several arguments
    (a nested tuple, such as an LSTM's ``(h, c)``, gives one graph input per tensor).
    ``input_names``/``output_names`` name the graph's inputs and outputs (default ``input``
    and ``output``, numbered when there are several). With ``dynamic_batch`` the axis
    ``batch_axis`` of every input (0 for images, 1 for time-major sequences) is the symbolic
    ``batch``; otherwise the graph keeps the example's sizes. ``extra_outputs``: names of
    submodules (as ``model.named_modules()`` gives them) whose outputs become graph outputs
    too, under those names. An op with no ONNX mapping raises ``ExportError`` naming it.
    """
    model_proto = to_model(
        model,
        example_input,
        opset,
        input_names,
        output_names,
        dynamic_batch,
        extra_outputs,
        batch_axis,
    )
    onnx.save(model_proto, str(path))
    return model_proto


def to_model(
    model,
    example_input,
    opset=17,
    input_names=None,
    output_names=None,
    dynamic_batch=True,
    extra_outputs=(),
    batch_axis=0,
):
    """What ``export`` writes, as an ``onnx.ModelProto`` (nothing written)."""
    if opset < 17:
        raise ValueError(f"onnx.export: opset must be 17 or later, got {opset}")
    if any(p.device != "cpu" for p in model.parameters()):
        raise ValueError("onnx.export: move the model to the CPU first (model.cpu())")
    structure = example_input if isinstance(example_input, tuple) else (example_input,)
    inputs = tuple(x if isinstance(x, Tensor) else as_tensor(x) for x in trace.flatten(structure))
    grown = tuple(_grow_batch(x, batch_axis) for x in inputs) if dynamic_batch else inputs
    first, second = (
        trace.record(model, _rebuild(structure, iter(xs)), modules.WHOLE_MODULES, extra_outputs)
        for xs in (inputs, grown)
    )
    if len(first.events) != len(second.events):
        raise ExportError(
            "onnx.export: the model runs a different number of ops at two batch sizes; its "
            "ops must not depend on the batch size (export with dynamic_batch=False)"
        )
    input_names = _names(input_names, "input", len(inputs))
    output_names = _names(output_names, "output", len(first.outputs)) + list(extra_outputs)
    batch = None
    if dynamic_batch:
        sizes = (inputs[0].shape[batch_axis], grown[0].shape[batch_axis])
        batch = graph.Batch(input_names[0], batch_axis, sizes)
    builder = graph.Builder(
        {**ops.CONVERTERS, **modules.CONVERTERS},
        _labels(model),
        opset,
        batch,
        input_names + output_names,
    )
    graph_inputs = [
        (name, builder.bind_input(a, b, name)) for name, a, b in zip(input_names, inputs, grown)
    ]
    for event_a, event_b in zip(first.events, second.events):
        builder.add(event_a, event_b)
    pairs = [*zip(first.outputs, second.outputs)]
    pairs += [(first.extra_outputs[name], second.extra_outputs[name]) for name in extra_outputs]
    graph_outputs = [
        (name, builder.output(a, b, name)) for name, (a, b) in zip(output_names, pairs)
    ]
    return graph.make_model(builder, graph_inputs, graph_outputs, opset)


def _rebuild(structure, flat):
    """``structure`` with its tensors replaced, in order, by those of the iterator ``flat``."""
    if isinstance(structure, (tuple, list)):
        return type(structure)(_rebuild(part, flat) for part in structure)
    return next(flat)


def _grow_batch(tensor, axis):
    """The example with one more item along the batch axis (a copy of its first)."""
    xp = backend.get_array_module(tensor.data)
    return Tensor(xp.concatenate([tensor.data, tensor.data.take([0], axis=axis)], axis=axis))


def _names(given, default, count):
    if given is not None:
        if len(given) != count:
            raise ValueError(f"onnx.export: {count} {default} names needed, got {len(given)}")
        return list(given)
    return [default] if count == 1 else [f"{default}_{i}" for i in range(count)]


def _labels(model):
    """The dotted name of every parameter and buffer, by the id of its Tensor and its array."""
    labels = {}
    for name, tensor in [*model.named_parameters(), *model.named_buffers()]:
        labels[id(tensor)] = name
        labels[id(tensor.data)] = name
    return labels
