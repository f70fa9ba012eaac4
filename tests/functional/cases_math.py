"""Differential-test rows for chainrule.functional.math (see differential.py)."""

import numpy as np
import torch

import chainrule.functional as F

from .differential import Case, Input, away_from, fixed, integers, randn, uniform

_BROADCAST_PAIRS = {
    "same": ((3, 4), (3, 4)),
    "row": ((3, 4), (4,)),
    "column": ((5, 1), (1, 3)),
    "left_is_small": ((1, 4), (2, 3, 4)),
    "scalar_tensor": ((), (2, 3)),
    "batch1": ((1, 1, 5), (1, 5)),
}


def _array(spec):
    """``spec`` drawing an ndarray even for shape () (where NumPy would give a scalar)."""
    return Input(lambda rng: np.asarray(spec.make(rng)), spec.grad)


def _binary_cases(name, ours, theirs, make_right=randn):
    return [
        Case(f"{name}/{variant}", ours, theirs, [_array(randn(*left)), make_right(*right)])
        for variant, (left, right) in _BROADCAST_PAIRS.items()
    ]


def _nonzero(*shape):
    """Normal values kept at least 0.5 away from zero (divisors)."""
    return away_from([0.0], *shape, margin=0.5)


CASES = [
    *_binary_cases("add", F.add, torch.add),
    Case("add/python_scalar", lambda x: F.add(x, 2.5), lambda x: torch.add(x, 2.5), [randn(3)]),
    *_binary_cases("sub", F.sub, torch.sub),
    Case("sub/reflected_scalar", lambda x: 2 - x, lambda x: 2 - x, [randn(2, 3)]),
    *_binary_cases("mul", F.mul, torch.mul),
    Case("mul/same_tensor_twice", lambda x: F.mul(x, x), lambda x: x * x, [randn(4)]),
    *_binary_cases("div", F.div, torch.div, make_right=_nonzero),
    Case("div/reflected_scalar", lambda x: 3 / x, lambda x: 3 / x, [_nonzero(2, 5)]),
    Case("neg/matrix", F.neg, torch.neg, [randn(3, 5)]),
    Case("pow/scalar_exponent", lambda x: F.pow(x, 3), lambda x: torch.pow(x, 3), [randn(2, 7)]),
    Case(
        "pow/fractional_exponent",
        lambda x: F.pow(x, 1.5),
        lambda x: torch.pow(x, 1.5),
        [uniform(0.5, 2.0, 4, 3)],
    ),
    Case("pow/tensor_exponent", F.pow, torch.pow, [uniform(0.5, 2.0, 3, 4), randn(3, 4)]),
    Case("pow/tensor_exponent_broadcast", F.pow, torch.pow, [uniform(0.5, 2.0, 2, 3), randn(3)]),
    Case("pow/scalar_base", lambda x: 2**x, lambda x: 2**x, [randn(5)]),
    Case("exp/matrix", F.exp, torch.exp, [randn(3, 4)]),
    Case("log/positive", F.log, torch.log, [uniform(0.1, 3.0, 2, 5)]),
    Case("sqrt/positive", F.sqrt, torch.sqrt, [uniform(0.1, 3.0, 7)]),
    Case("abs/away_from_kink", F.abs, torch.abs, [away_from([0.0], 3, 4)]),
    Case("matmul/matrix_matrix", F.matmul, torch.matmul, [randn(3, 4), randn(4, 5)]),
    Case("matmul/vector_vector", F.matmul, torch.matmul, [randn(5), randn(5)]),
    Case("matmul/vector_matrix", F.matmul, torch.matmul, [randn(4), randn(4, 3)]),
    Case("matmul/matrix_vector", F.matmul, torch.matmul, [randn(3, 4), randn(4)]),
    Case("matmul/batched_vector", F.matmul, torch.matmul, [randn(2, 3, 4), randn(4)]),
    Case("matmul/vector_batched", F.matmul, torch.matmul, [randn(4), randn(2, 4, 3)]),
    Case("matmul/batched_matrix", F.matmul, torch.matmul, [randn(2, 3, 4), randn(4, 5)]),
    Case("matmul/matrix_batched", F.matmul, torch.matmul, [randn(3, 4), randn(2, 4, 5)]),
    Case("matmul/batched_batched", F.matmul, torch.matmul, [randn(2, 3, 4), randn(2, 4, 5)]),
    Case("matmul/batch_broadcast", F.matmul, torch.matmul, [randn(2, 1, 3, 4), randn(5, 4, 2)]),
    Case("matmul/batch1", F.matmul, torch.matmul, [randn(1, 1, 7), randn(1, 7, 3)]),
    Case(
        "matmul/transposed_view",
        lambda a, b: F.matmul(F.transpose(a, 0, 1), b),
        lambda a, b: torch.matmul(a.transpose(0, 1), b),
        [randn(4, 3), randn(4, 2)],
    ),
    Case("sum/all", F.sum, torch.sum, [randn(3, 4)]),
    Case("sum/dim", lambda x: F.sum(x, 1), lambda x: torch.sum(x, 1), [randn(3, 4, 2)]),
    Case(
        "sum/negative_dim_keepdim",
        lambda x: F.sum(x, -1, keepdim=True),
        lambda x: torch.sum(x, -1, keepdim=True),
        [randn(3, 5)],
    ),
    Case(
        "sum/tuple_dims",
        lambda x: F.sum(x, (0, 2)),
        lambda x: torch.sum(x, (0, 2)),
        [randn(2, 3, 4)],
    ),
    Case(
        "sum/tuple_dims_keepdim",
        lambda x: F.sum(x, (-1, 0), keepdim=True),
        lambda x: torch.sum(x, (-1, 0), keepdim=True),
        [randn(2, 3, 4)],
    ),
    Case("mean/all", F.mean, torch.mean, [randn(5, 3)]),
    Case("mean/dim", lambda x: F.mean(x, 0), lambda x: torch.mean(x, 0), [randn(4, 3)]),
    Case(
        "mean/tuple_keepdim",
        lambda x: F.mean(x, (1, 2), keepdim=True),
        lambda x: torch.mean(x, (1, 2), keepdim=True),
        [randn(2, 3, 5)],
    ),
    Case("var/all_unbiased", F.var, torch.var, [randn(4, 5)]),
    Case(
        "var/dim_correction0",
        lambda x: F.var(x, 1, correction=0),
        lambda x: torch.var(x, 1, correction=0),
        [randn(3, 6)],
    ),
    Case(
        "var/negative_dim_keepdim",
        lambda x: F.var(x, -1, keepdim=True),
        lambda x: torch.var(x, -1, keepdim=True),
        [randn(2, 3, 4)],
    ),
    Case(
        "var/tuple_biased",
        lambda x: F.var(x, (0, 2), unbiased=False),
        lambda x: torch.var(x, (0, 2), unbiased=False),
        [randn(2, 3, 4)],
    ),
    # An index has no gradient: each argmax/argmin row returns the indices beside the values
    # they pick (gathered), so the table compares the indices and differentiates through them.
    Case(
        "argmax/dim",
        lambda x: (F.argmax(x, 1), F.gather(x, 1, F.argmax(x, 1, keepdim=True))),
        lambda x: (torch.argmax(x, 1), torch.gather(x, 1, torch.argmax(x, 1, keepdim=True))),
        [randn(4, 5)],
    ),
    Case(
        "argmax/flat",
        lambda x: (F.argmax(x), F.reshape(x, (-1,))[F.argmax(x)]),
        lambda x: (torch.argmax(x), x.reshape(-1)[torch.argmax(x)]),
        [randn(3, 4)],
    ),
    Case(
        "argmin/dim0",
        lambda x: (F.argmin(x, 0), F.gather(x, 0, F.argmin(x, 0, keepdim=True))),
        lambda x: (torch.argmin(x, 0), torch.gather(x, 0, torch.argmin(x, 0, keepdim=True))),
        [randn(5, 3)],
    ),
    Case("max/all", F.max, torch.max, [randn(3, 5)]),
    Case("max/all_ties", F.max, torch.max, [fixed([[1.0, 3.0], [3.0, -2.0]], grad=True)], fd=False),
    Case("max/dim", lambda x: F.max(x, 1), lambda x: torch.max(x, 1), [randn(4, 5)]),
    Case(
        "max/negative_dim_keepdim",
        lambda x: F.max(x, -1, keepdim=True),
        lambda x: torch.max(x, -1, keepdim=True),
        [randn(2, 3, 4)],
    ),
    Case("max/dim0", lambda x: F.max(x, 0)[0], lambda x: torch.max(x, 0)[0], [randn(3, 2, 2)]),
    Case("min/all", F.min, torch.min, [randn(6)]),
    Case("min/dim", lambda x: F.min(x, 0), lambda x: torch.min(x, 0), [randn(5, 3)]),
    Case(
        "min/keepdim",
        lambda x: F.min(x, 1, keepdim=True),
        lambda x: torch.min(x, 1, keepdim=True),
        [randn(1, 7)],
    ),
    Case(
        "reshape/infer",
        lambda x: F.reshape(x, (4, -1)),
        lambda x: torch.reshape(x, (4, -1)),
        [randn(2, 3, 4)],
    ),
    Case(
        "reshape/to_vector",
        lambda x: F.reshape(x, (-1,)),
        lambda x: torch.reshape(x, (-1,)),
        [randn(3, 5)],
    ),
    Case("flatten/all", F.flatten, torch.flatten, [randn(2, 3, 4)]),
    Case(
        "flatten/from_1",
        lambda x: F.flatten(x, 1),
        lambda x: torch.flatten(x, 1),
        [randn(2, 3, 4, 2)],
    ),
    Case(
        "flatten/middle_negative",
        lambda x: F.flatten(x, 1, -2),
        lambda x: torch.flatten(x, 1, -2),
        [randn(2, 3, 4, 2)],
    ),
    Case("flatten/zero_d", F.flatten, torch.flatten, [_array(randn())]),
    Case("squeeze/all", F.squeeze, torch.squeeze, [randn(1, 3, 1, 2)]),
    Case(
        "squeeze/dim",
        lambda x: F.squeeze(x, -2),
        lambda x: torch.squeeze(x, -2),
        [randn(1, 3, 1, 2)],
    ),
    Case(
        "squeeze/dims_not_one",
        lambda x: F.squeeze(x, (0, 1)),
        lambda x: torch.squeeze(x, (0, 1)),
        [randn(1, 3, 1)],
    ),
    Case(
        "unsqueeze/front",
        lambda x: F.unsqueeze(x, 0),
        lambda x: torch.unsqueeze(x, 0),
        [randn(3, 2)],
    ),
    Case(
        "unsqueeze/negative",
        lambda x: F.unsqueeze(x, -1),
        lambda x: torch.unsqueeze(x, -1),
        [randn(3, 2)],
    ),
    Case(
        "transpose/last_two",
        lambda x: F.transpose(x, 1, 2),
        lambda x: torch.transpose(x, 1, 2),
        [randn(2, 3, 4)],
    ),
    Case(
        "transpose/negative_dims",
        lambda x: F.transpose(x, -1, 0),
        lambda x: torch.transpose(x, -1, 0),
        [randn(2, 3, 5)],
    ),
    Case(
        "permute/cycle",
        lambda x: F.permute(x, (2, 0, 1)),
        lambda x: torch.permute(x, (2, 0, 1)),
        [randn(2, 3, 4)],
    ),
    Case(
        "permute/negative",
        lambda x: F.permute(x, (-1, 1, 0, -2)),
        lambda x: torch.permute(x, (-1, 1, 0, -2)),
        [randn(1, 2, 3, 4)],
    ),
    Case("getitem/int", lambda x: F.getitem(x, 1), lambda x: x[1], [randn(3, 4)]),
    Case("getitem/element", lambda x: F.getitem(x, (2, -1)), lambda x: x[2, -1], [randn(3, 4)]),
    Case(
        "getitem/slices_steps",
        lambda x: F.getitem(x, (slice(None, None, 2), slice(1, None))),
        lambda x: x[::2, 1:],
        [randn(5, 4)],
    ),
    Case(
        "getitem/ellipsis_none",
        lambda x: F.getitem(x, (Ellipsis, None, slice(0, 3, 2))),
        lambda x: x[..., None, 0:3:2],
        [randn(2, 3, 5)],
    ),
    Case(
        "getitem/int_array_repeats",
        lambda x: F.getitem(x, np.array([0, 2, 0, 0, 3])),
        lambda x: x[torch.tensor([0, 2, 0, 0, 3])],
        [randn(4, 3)],
    ),
    Case(
        "getitem/int_list_second_axis",
        lambda x: F.getitem(x, (slice(None), [1, 1, 0])),
        lambda x: x[:, [1, 1, 0]],
        [randn(2, 3)],
    ),
    Case(
        "getitem/paired_int_arrays",
        lambda x, i: F.getitem(x, (i, i)),
        lambda x, i: x[i, i],
        [randn(4, 4), integers(4, 6)],
    ),
    Case(
        "getitem/int_slice_array_torch_order",
        lambda x: F.getitem(x, (1, slice(None), [2, 0, 2])),
        lambda x: x[1, :, [2, 0, 2]],
        [randn(2, 3, 4)],
    ),
    Case(
        "getitem/zero_d_int_tensor",
        lambda x, i: F.getitem(x, (i, slice(1, None))),
        lambda x, i: x[i, 1:],
        [randn(3, 4), fixed(np.array(2))],
    ),
    Case(
        "getitem/bool_mask",
        lambda x, m: F.getitem(x, m),
        lambda x, m: x[m],
        [randn(3, 4), fixed(np.array([[1, 0, 1, 1], [0, 0, 0, 1], [1, 1, 0, 0]], bool))],
    ),
    Case(
        "getitem/bool_rows",
        lambda x: F.getitem(x, np.array([True, False, True])),
        lambda x: x[torch.tensor([True, False, True])],
        [randn(3, 2)],
    ),
    Case(
        "cat/dim0",
        lambda a, b: F.cat([a, b]),
        lambda a, b: torch.cat([a, b]),
        [randn(2, 3), randn(4, 3)],
    ),
    Case(
        "cat/dim1_three",
        lambda a, b, c: F.cat([a, b, c], dim=1),
        lambda a, b, c: torch.cat([a, b, c], dim=1),
        [randn(2, 1), randn(2, 3), randn(2, 2)],
    ),
    Case(
        "cat/negative_dim",
        lambda a, b: F.cat((a, b), dim=-1),
        lambda a, b: torch.cat((a, b), dim=-1),
        [randn(2, 3, 1), randn(2, 3, 4)],
    ),
    Case("cat/same_tensor", lambda a: F.cat([a, a], 0), lambda a: torch.cat([a, a], 0), [randn(3)]),
    Case(
        "stack/dim0",
        lambda a, b: F.stack([a, b]),
        lambda a, b: torch.stack([a, b]),
        [randn(2, 3), randn(2, 3)],
    ),
    Case(
        "stack/last_dim",
        lambda a, b, c: F.stack([a, b, c], dim=-1),
        lambda a, b, c: torch.stack([a, b, c], dim=-1),
        [randn(3, 2), randn(3, 2), randn(3, 2)],
    ),
    Case(
        "stack/middle",
        lambda a, b: F.stack([a, b], dim=1),
        lambda a, b: torch.stack([a, b], 1),
        [randn(1, 5), randn(1, 5)],
    ),
    Case(
        "where/same_shape",
        lambda c, x, y: F.where(c, x, y),
        torch.where,
        [fixed(np.array([[True, False, True], [False, False, True]])), randn(2, 3), randn(2, 3)],
    ),
    Case(
        "where/broadcast",
        lambda c, x, y: F.where(c, x, y),
        torch.where,
        [fixed(np.array([[True], [False]])), randn(1, 3), randn(2, 1)],
    ),
    Case(
        "where/scalar_other",
        lambda x: F.where(x > 0, x, 0.0),
        lambda x: torch.where(x > 0, x, 0.0),
        [away_from([0.0], 3, 4)],
    ),
    Case(
        "clamp/both",
        lambda x: F.clamp(x, -0.5, 0.5),
        lambda x: torch.clamp(x, -0.5, 0.5),
        [away_from([-0.5, 0.5], 4, 5)],
    ),
    Case(
        "clamp/min_only",
        lambda x: F.clamp(x, min=0.2),
        lambda x: torch.clamp(x, min=0.2),
        [away_from([0.2], 7)],
    ),
    Case(
        "clamp/max_only",
        lambda x: F.clamp(x, max=-0.1),
        lambda x: torch.clamp(x, max=-0.1),
        [away_from([-0.1], 3, 3)],
    ),
    Case(
        "clamp/tensor_bounds",
        lambda x, lo, hi: F.clamp(x, lo, hi),
        torch.clamp,
        [randn(3, 4), randn(3, 4, scale=0.5), randn(4, scale=0.5)],
    ),
    Case(
        "clamp/tensor_min_only",
        lambda x, lo: F.clamp(x, min=lo),
        lambda x, lo: torch.clamp(x, min=lo),
        [randn(2, 5), randn(2, 1)],
    ),
    Case(
        "clamp/tensor_max_broadcast_up",
        lambda x, hi: F.clamp(x, max=hi),
        lambda x, hi: torch.clamp(x, max=hi),
        [randn(4), randn(3, 4)],
    ),
    Case(
        "clamp/min_above_max",
        lambda x, lo, hi: F.clamp(x, lo, hi),
        torch.clamp,
        [randn(6), fixed(np.linspace(-1, 1, 6), grad=True), fixed(np.zeros(6), grad=True)],
        fd=False,
    ),
    *_binary_cases("maximum", F.maximum, torch.maximum),
    *_binary_cases("minimum", F.minimum, torch.minimum),
    Case(
        "maximum/ties_share",
        F.maximum,
        torch.maximum,
        [fixed([1.0, 2.0, 3.0], grad=True), fixed([1.0, 0.0, 3.0], grad=True)],
        fd=False,
    ),
    Case(
        "minimum/ties_share",
        F.minimum,
        torch.minimum,
        [fixed([[1.0, 2.0]], grad=True), fixed([1.0, 5.0], grad=True)],
        fd=False,
    ),
    Case("std/all", F.std, torch.std, [randn(4, 5)]),
    Case(
        "std/dim_keepdim",
        lambda x: F.std(x, 1, keepdim=True),
        lambda x: torch.std(x, 1, keepdim=True),
        [randn(3, 6)],
    ),
    Case(
        "std/dims_correction0",
        lambda x: F.std(x, (0, 2), correction=0),
        lambda x: torch.std(x, (0, 2), correction=0),
        [randn(2, 3, 4)],
    ),
    Case(
        "std/correction2",
        lambda x: F.std(x, -1, correction=2),
        lambda x: torch.std(x, -1, correction=2),
        [randn(2, 7)],
    ),
    Case(
        "logsumexp/dim", lambda x: F.logsumexp(x, 1), lambda x: torch.logsumexp(x, 1), [randn(3, 5)]
    ),
    Case(
        "logsumexp/dims_keepdim",
        lambda x: F.logsumexp(x, (0, -1), keepdim=True),
        lambda x: torch.logsumexp(x, (0, -1), keepdim=True),
        [randn(2, 3, 4)],
    ),
    Case(
        "logsumexp/large_values",
        lambda x: F.logsumexp(x, 0),
        lambda x: torch.logsumexp(x, 0),
        [randn(4, 3, scale=300.0)],
        fd_rtol=1e-4,
    ),
    Case("cumsum/dim0", lambda x: F.cumsum(x, 0), lambda x: torch.cumsum(x, 0), [randn(5, 3)]),
    Case(
        "cumsum/negative_dim",
        lambda x: F.cumsum(x, -1),
        lambda x: torch.cumsum(x, -1),
        [randn(2, 3, 4)],
    ),
    Case("flip/one_dim", lambda x: F.flip(x, (1,)), lambda x: torch.flip(x, (1,)), [randn(3, 4)]),
    Case(
        "flip/two_dims",
        lambda x: F.flip(x, [0, -1]),
        lambda x: torch.flip(x, [0, -1]),
        [randn(2, 3, 4)],
    ),
    Case("roll/dim", lambda x: F.roll(x, 2, 1), lambda x: torch.roll(x, 2, 1), [randn(3, 5)]),
    Case("roll/flattened", lambda x: F.roll(x, -3), lambda x: torch.roll(x, -3), [randn(3, 4)]),
    Case(
        "roll/tuples",
        lambda x: F.roll(x, (1, -2), (0, 2)),
        lambda x: torch.roll(x, (1, -2), (0, 2)),
        [randn(2, 3, 4)],
    ),
    Case("repeat/same_ndim", lambda x: F.repeat(x, 2, 3), lambda x: x.repeat(2, 3), [randn(2, 3)]),
    Case(
        "repeat/new_leading",
        lambda x: F.repeat(x, (2, 1, 2)),
        lambda x: x.repeat(2, 1, 2),
        [randn(3, 1)],
    ),
    Case("expand/size_one", lambda x: F.expand(x, 3, -1), lambda x: x.expand(3, -1), [randn(1, 4)]),
    Case(
        "expand/new_leading",
        lambda x: F.expand(x, (2, 3, 4)),
        lambda x: x.expand(2, 3, 4),
        [randn(3, 1)],
    ),
    Case("triu/main", F.triu, torch.triu, [randn(4, 5)]),
    Case(
        "triu/batched_offset", lambda x: F.triu(x, 1), lambda x: torch.triu(x, 1), [randn(2, 3, 3)]
    ),
    Case("tril/main", F.tril, torch.tril, [randn(5, 4)]),
    Case(
        "tril/negative_offset",
        lambda x: F.tril(x, -1),
        lambda x: torch.tril(x, -1),
        [randn(2, 4, 4)],
    ),
    Case(
        "gather/dim1",
        lambda x, i: F.gather(x, 1, i),
        lambda x, i: torch.gather(x, 1, i),
        [randn(3, 5), integers(5, 3, 4)],
    ),
    Case(
        "gather/dim0_repeats_smaller",
        lambda x, i: F.gather(x, 0, i),
        lambda x, i: torch.gather(x, 0, i),
        [randn(4, 3), integers(4, 6, 2)],
    ),
    Case(
        "scatter_add/dim1",
        lambda x, i, s: F.scatter_add(x, 1, i, s),
        lambda x, i, s: torch.scatter_add(x, 1, i, s),
        [randn(3, 5), integers(5, 3, 4), randn(3, 4)],
    ),
    Case(
        "scatter_add/index_smaller_than_input",
        lambda x, i, s: F.scatter_add(x, 0, i, s),
        lambda x, i, s: torch.scatter_add(x, 0, i, s),
        [randn(3, 4), integers(3, 2, 3), randn(2, 3)],
    ),
    Case(
        "masked_fill/number",
        lambda x, m: F.masked_fill(x, m, -1.5),
        lambda x, m: torch.masked_fill(x, m, -1.5),
        [randn(3, 4), fixed(np.array([[True, False, False, True]] * 3))],
    ),
    Case(
        "masked_fill/tensor_value_broadcast_mask",
        F.masked_fill,
        torch.masked_fill,
        [
            randn(2, 3, 4),
            fixed(np.array([[True], [False], [True]])),
            fixed(np.array(0.25), grad=True),
        ],
    ),
    Case(
        "split/int_size", lambda x: F.split(x, 2, 1), lambda x: torch.split(x, 2, 1), [randn(3, 5)]
    ),
    Case(
        "split/sizes",
        lambda x: F.split(x, [1, 3, 0, 2]),
        lambda x: torch.split(x, [1, 3, 0, 2]),
        [randn(6, 2)],
    ),
    Case(
        "split/one_used",
        lambda x: F.split(x, 2, -1)[1],
        lambda x: torch.split(x, 2, -1)[1],
        [randn(2, 6)],
    ),
    Case("chunk/even", lambda x: F.chunk(x, 3), lambda x: torch.chunk(x, 3), [randn(6, 2)]),
    Case("chunk/uneven", lambda x: F.chunk(x, 3, 1), lambda x: torch.chunk(x, 3, 1), [randn(2, 7)]),
    Case(
        "chunk/fewer_than_asked",
        lambda x: F.chunk(x, 4, 0),
        lambda x: torch.chunk(x, 4, 0),
        [randn(6, 3)],
    ),
    Case("topk/largest", lambda x: F.topk(x, 3), lambda x: torch.topk(x, 3), [randn(4, 6)]),
    Case(
        "topk/smallest_dim0",
        lambda x: F.topk(x, 2, dim=0, largest=False),
        lambda x: torch.topk(x, 2, dim=0, largest=False),
        [randn(5, 3)],
    ),
    Case("sort/ascending", F.sort, torch.sort, [randn(3, 5)]),
    Case(
        "sort/descending_dim0",
        lambda x: F.sort(x, 0, descending=True),
        lambda x: torch.sort(x, 0, descending=True),
        [randn(4, 2, 3)],
    ),
    *[
        Case(
            f"einsum/{name}",
            lambda *xs, e=equation: F.einsum(e, *xs),
            lambda *xs, e=equation: torch.einsum(e, *xs),
            [randn(*s) for s in shapes],
        )
        for name, equation, shapes in [
            ("matmul", "ij,jk->ik", [(3, 4), (4, 5)]),
            ("batched_matmul", "bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
            ("implicit_output", "ij,jk", [(3, 4), (4, 2)]),
            ("implicit_alphabetical", "ba,ca", [(2, 3), (4, 3)]),
            ("outer", "i,j->ij", [(3,), (4,)]),
            ("dot", "i,i->", [(5,), (5,)]),
            ("trace", "ii", [(4, 4)]),
            ("diagonal", "ii->i", [(3, 3)]),
            ("batched_diagonal", "bii->bi", [(2, 3, 3)]),
            ("diagonal_times_vector", "iij,j->i", [(3, 3, 2), (2,)]),
            ("sum_inside_one", "ij->i", [(3, 4)]),
            ("transpose", "ijk->kji", [(2, 3, 4)]),
            ("ellipsis_matmul", "...ij,...jk->...ik", [(2, 3, 4), (4, 5)]),
            ("ellipsis_broadcast", "...ij,...jk", [(2, 1, 3, 4), (3, 4, 2)]),
            ("ellipsis_middle", "i...j->j...i", [(2, 3, 4, 5)]),
            ("bilinear", "bn,anm,bm->ba", [(2, 3), (4, 3, 5), (2, 5)]),
            ("three_operands_shared", "ij,jk,ki->", [(2, 3), (3, 4), (4, 2)]),
            ("uppercase", "Ab,bC->AC", [(2, 3), (3, 2)]),
            ("size_one_broadcast", "ij,ij->ij", [(3, 1), (3, 4)]),
            ("spaces", "i j , j -> i", [(3, 4), (4,)]),
        ]
    ],
    Case(
        "einsum/operand_list",
        lambda a, b: F.einsum("ij,j->i", [a, b]),
        lambda a, b: torch.einsum("ij,j->i", [a, b]),
        [randn(3, 4), randn(4)],
    ),
]
