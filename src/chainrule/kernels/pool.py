"""Pooling's CPU kernels: separable passes over strided views. Skip on first reading.

``functional/pool.py`` derives pooling and computes it plainly: the kh·kw taps of every window
stacked, their max (and arg-max) or sum, and δ routed back tap by tap. These four functions
compute the same faster on the CPU, for dilation 1:

    max_pool(x, w, track)          y_k = max_{i∈R_k} x_i, and (with ``track``) the masks below
    max_pool_backward(G, masks, w) δ routed to the first arg-max of each window
    window_sum(padded, w)          Σ_{i∈R_k} x_i over each window of an already padded input
    spread(per_window, w)          the adjoint of window_sum, the padding cropped

``w`` is the plain window geometry of ``functional/pool.py``. tests/kernels/test_pool.py pins
each function to the reference on odd shapes. The tricks and what they buy (docs/benchmarks.md,
"How chainrule got there", item 4, and the benchmarking guide's LeNet-5 profile):

- **Separable passes.** A kh × kw window's max (or sum) is the max over its kh rows of the max
  over each row's kw pixels. So every pooling runs in two passes, first across the rows (kw
  strided views x[..., v::s] of the input, combined element-wise with ``np.maximum`` or ``+``),
  then down the columns (kh strided views of that result): a few whole-array operations, the
  row pass over long contiguous loops. 2×2 max pooling over LeNet's 6@28×28 maps took 0.6 ms
  this way where ``reshape(...).max(axis=(2, 4))`` took 2.7 ms.
- **"Beat the earlier offsets" masks instead of an arg-max.** Recording the arg-max with
  ``np.copyto(where=)`` cost 8× the maximum itself (4.9 vs 0.63 ms: masked updates on random
  masks mispredict). Each pass instead keeps, per offset k ≥ 1, the boolean mask
  view[k] > max(views[:k]); backward turns them into "view k won" masks (it beat every earlier
  one and no later one beat it, so the first maximum wins ties, as in PyTorch) and routes δ
  through them pass by pass. Max pooling forward 1.3 ms at batch 256, forward + backward 2–3×
  faster than PyTorch's.
"""

import numpy as np


def _passes(w):
    """The two one-axis passes, (axis, kernel, stride, output length): rows, then columns."""
    return [(-1, w.kernel[1], w.stride[1], w.out[1]), (-2, w.kernel[0], w.stride[0], w.out[0])]


def _shape_before(w, axis):
    """The shape a pass along ``axis`` reads: the padded input for the row pass, the row
    pass's result for the column pass."""
    return w.leading + (w.padded[0], w.out[1] if axis == -2 else w.padded[1])


def _offset_views(array, axis, kernel, stride, count):
    """For each kernel offset v, the strided view array[..., v + stride·j, ...] (j < count)
    along ``axis``."""
    views = []
    for v in range(kernel):
        index = [slice(None)] * array.ndim
        index[axis] = slice(v, v + stride * (count - 1) + 1, stride)
        views.append(array[tuple(index)])
    return views


def _spread_along(values, shape, axis, kernel, stride, count, masks):
    """An array of ``shape`` whose offset-v view along ``axis`` receives ``values`` (× masks[v]
    unless it is None), added up where windows overlap: the adjoint of reading the views."""
    exact = kernel == stride and shape[axis] == kernel * count
    out = (np.empty if exact else np.zeros)(shape, values.dtype)
    for view, mask in zip(_offset_views(out, axis, kernel, stride, count), masks):
        if kernel > stride:
            view += values if mask is None else values * mask
        elif mask is None:
            view[...] = values
        else:
            np.multiply(values, mask, out=view)
    return out


def _running_max(views, track):
    """Element-wise max over ``views``; with ``track`` also the masks views[k] > max(views[:k])
    for k ≥ 1 (strict, so the first of equal maxima wins, as in PyTorch)."""
    if len(views) == 1:
        return views[0].copy(), []
    best, betters = views[0], []
    for k, view in enumerate(views[1:]):
        if track:
            betters.append(view > best)
        best = np.maximum(best, view, out=None if k == 0 else best)
    return best, betters


def _winner_masks(betters):
    """From _running_max's masks, the mask of where each view held the (first) maximum: view k
    won where it beat every earlier one and no later one beat it."""
    won, beaten = [None] * (len(betters) + 1), None
    for k in range(len(betters), 0, -1):
        better = betters[k - 1]
        won[k] = better if beaten is None else better & ~beaten
        beaten = better if beaten is None else beaten | better
    won[0] = None if beaten is None else ~beaten
    return won


def max_pool(x, w, track):
    """(y, masks): the max over each window, row pass then column pass; with ``track`` the
    masks of both passes (kw − 1 for the rows, then kh − 1 for the columns)."""
    out, masks = w.pad(x, -np.inf), []
    for axis, kernel, stride, count in _passes(w):
        out, better = _running_max(_offset_views(out, axis, kernel, stride, count), track)
        masks += better
    return out, masks


def max_pool_backward(grad, masks, w):
    """δ routed to the first arg-max of each window: down the column pass, then across the
    row pass, each view receiving δ where it won."""
    row_masks = w.kernel[1] - 1
    masks = [masks[:row_masks], masks[row_masks:]]
    for (axis, kernel, stride, count), better in zip(reversed(_passes(w)), reversed(masks)):
        grad = _spread_along(
            grad, _shape_before(w, axis), axis, kernel, stride, count, _winner_masks(better)
        )
    return grad[w.inside]


def window_sum(padded, w):
    """Σ over each window of the padded input: the row sums, then the column sums of those."""
    for axis, kernel, stride, count in _passes(w):
        views = _offset_views(padded, axis, kernel, stride, count)
        padded = views[0].copy()
        for view in views[1:]:
            padded += view
    return padded


def spread(per_window, w):
    """The adjoint of ``window_sum``: every pixel of each window receives the window's value
    (summed over the windows it belongs to); the padding is cropped."""
    for axis, kernel, stride, count in reversed(_passes(w)):
        per_window = _spread_along(
            per_window, _shape_before(w, axis), axis, kernel, stride, count, [None] * kernel
        )
    return per_window[w.inside]
