"""``Parameter``: a Tensor that a Module learns.

Assigning a Parameter to a Module attribute (``self.weight = Parameter(...)``) registers it, so
``module.parameters()`` hands it to an optimizer and ``state_dict()`` saves it. Apart from that
it is an ordinary leaf Tensor that requires grad.
"""

import numpy as np

from .. import backend
from ..autograd import Tensor


class Parameter(Tensor):
    """A leaf Tensor registered as a learnable weight when assigned to a Module.

    ``Parameter(tensor_or_array, requires_grad=True)`` shares the data of a Tensor or array (a
    list or number is converted, floats taking the default dtype), as ``torch.nn.Parameter`` does.
    """

    __slots__ = ()

    def __init__(self, data, requires_grad=True):
        if isinstance(data, Tensor):
            data = data.data
        elif not hasattr(data, "dtype") or not hasattr(data, "shape"):
            data = backend.as_array(data)
        if requires_grad and np.dtype(data.dtype).kind != "f":
            raise TypeError(
                f"Parameter: only floating-point data can require grad, got dtype {data.dtype}"
            )
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()
