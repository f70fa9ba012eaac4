"""``chainrule.device``: a device as an object, as ``torch.device``.

A device *is* its name: ``device`` subclasses ``str``, so ``device("cuda:0")`` goes wherever a
device string goes (``tensor.to(dev)``, ``model.to(dev)``, ``zeros(2, device=dev)``) and
compares equal to ``"cuda:0"``. It adds torch's ``type`` and ``index``.
"""

_TYPES = ("cpu", "cuda")


class device(str):
    """``device("cpu")``, ``device("cuda")``, ``device("cuda:1")`` or ``device("cuda", 1)``.

    Making one checks only the name; asking for a GPU that is not there fails when a tensor
    is moved to it (``backend.normalize_device``), as in torch.
    """

    def __new__(cls, type, index=None):
        name, colon, number = str(type).partition(":")
        if name not in _TYPES:
            raise ValueError(
                f"device: expected one of {', '.join(_TYPES)} at the start of the "
                f"device string, got {str(type)!r}"
            )
        if colon:
            if index is not None:
                raise ValueError(
                    f"device: {str(type)!r} names an index, so index={index} may "
                    "not be passed as well"
                )
            if not number.isdigit():
                raise ValueError(f"device: invalid device index in {str(type)!r}")
            index = int(number)
        if index is not None and (not isinstance(index, int) or index < 0):
            raise ValueError(f"device: the index must be a non-negative int, got {index!r}")
        self = super().__new__(cls, name if index is None else f"{name}:{index}")
        self.type, self.index = name, index
        return self

    def __repr__(self):
        index = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{index})"
