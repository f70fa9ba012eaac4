"""chainrule: a deep-learning framework written from scratch, every backward by hand.

The layers, top to bottom (see docs/architecture.md): ``backend`` (NumPy or CuPy), ``autograd``
(Tensor, Function, backward), ``functional`` (stateless ops), and the packages built on them.

The names a torch user types first are here under torch's names, so ``import chainrule as
torch`` runs torch-style code: the ops torch has at top level (``cat``, ``stack``, ``where``,
``clamp``, ``flatten``, ``einsum``, …, each the ``chainrule.functional`` op of that name),
``device`` and ``accelerator``, ``utils.data``, ``nn.functional`` and ``nn.init``.
"""

from . import accelerator, backend, data, functional, init, nn, optim, random, utils
from .autograd import Function, Tensor, enable_grad, is_grad_enabled, no_grad
from .backend import (
    cuda_is_available,
    float32,
    float64,
    get_array_module,
    get_default_dtype,
    int64,
    set_default_dtype,
)
from .creation import (
    arange,
    as_tensor,
    eye,
    full,
    ones,
    ones_like,
    rand,
    randint,
    randn,
    tensor,
    zeros,
    zeros_like,
)
from .device import device

# The functional ops that torch also has at top level with the same arguments (torch.cat …).
# Left out: those whose torch top-level form takes other arguments (torch.dropout's `train`,
# torch.embedding's (weight, indices) order, torch.batch_norm's and torch.instance_norm's
# long positional lists, the losses' integer `reduction`, the recurrent kernels).
from .functional import (
    abs,
    add,
    argmax,
    argmin,
    avg_pool1d,
    cat,
    chunk,
    clamp,
    conv1d,
    conv2d,
    conv_transpose1d,
    conv_transpose2d,
    cosine_similarity,
    cumsum,
    div,
    einsum,
    exp,
    flatten,
    flip,
    gather,
    group_norm,
    layer_norm,
    log,
    log_softmax,
    logsumexp,
    masked_fill,
    matmul,
    max,
    max_pool1d,
    max_pool2d,
    maximum,
    mean,
    min,
    minimum,
    mul,
    neg,
    permute,
    pixel_shuffle,
    pixel_unshuffle,
    pow,
    prelu,
    relu,
    reshape,
    roll,
    scatter_add,
    selu,
    sigmoid,
    softmax,
    sort,
    split,
    sqrt,
    squeeze,
    stack,
    std,
    sub,
    sum,
    tanh,
    topk,
    transpose,
    tril,
    triu,
    unsqueeze,
    var,
    where,
)
from .gradcheck import GradcheckError, gradcheck
from .random import manual_seed
from .serialization import load, save

__version__ = "0.1.0"
