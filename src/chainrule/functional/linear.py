"""The fully-connected layer as one fused op: y = x Wᵀ + b.

This is the hot path of every multi-layer perceptron, so it is one ``Function`` with one GEMM
forward and at most two backward, rather than a transpose, a matmul and an add, each its own
graph node.
"""

from ..autograd import Function

__all__ = ["linear"]


class Linear(Function):
    """y = x Wᵀ + b for x of shape (*, in), W of shape (out, in), b of shape (out,).

    The neuron output w·x + b (deck D1, "1.1.4 Multi Layer Perceptron") for a whole layer and batch
    at once. With the leading dimensions flattened, X is (M, in) and G = ∂L/∂y is (M, out); the
    gradients are

        ∂L/∂X = G W,    ∂L/∂W = Gᵀ X,    ∂L/∂b = Σ_rows G,

    which is deck D2's backprop rule ("Back Propagation") Δw_ji = δ_i · (input j), summed over the
    batch.
    """

    @staticmethod
    def forward(ctx, x, weight, bias):
        rows = x if x.ndim == 2 else x.reshape(-1, x.shape[-1])
        out = rows @ weight.T
        if bias is not None:
            out += bias
        ctx.save_for_backward(rows, weight)
        ctx.input_shape = x.shape
        return out if x.ndim == 2 else out.reshape(x.shape[:-1] + (weight.shape[0],))

    @staticmethod
    def backward(ctx, grad):
        rows, weight = ctx.saved_tensors
        grad_rows = grad if grad.ndim == 2 else grad.reshape(-1, weight.shape[0])
        needs = ctx.needs_input_grad
        grad_x = None
        if needs[0]:
            grad_x = grad_rows @ weight
            if len(ctx.input_shape) != 2:
                grad_x = grad_x.reshape(ctx.input_shape)
        grad_weight = grad_rows.T @ rows if needs[1] else None
        grad_bias = grad_rows.sum(axis=0) if needs[2] else None
        return grad_x, grad_weight, grad_bias


def linear(input, weight, bias=None):
    """y = x Wᵀ + b over the last dimension of ``input`` (any leading shape). See ``Linear``."""
    in_features = input.shape[-1] if input.ndim else None
    if weight.ndim != 2 or in_features != weight.shape[1]:
        raise ValueError(
            f"linear: input of shape {tuple(input.shape)} needs a weight of shape "
            f"(out_features, {in_features}); got weight of shape "
            f"{tuple(weight.shape)}"
        )
    for name, array in (("weight", weight), ("bias", bias)):
        if array is not None and array.dtype != input.dtype:
            raise TypeError(
                f"linear: input and {name} must have the same dtype, but got "
                f"{input.dtype} and {array.dtype} (convert the input with "
                f".to({array.dtype}) first)"
            )
    if bias is not None and bias.shape != (weight.shape[0],):
        raise ValueError(
            f"linear: bias must have shape ({weight.shape[0]},) to match weight of "
            f"shape {tuple(weight.shape)}; got {tuple(bias.shape)}"
        )
    return Linear.apply(input, weight, bias)
