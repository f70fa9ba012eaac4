"""Containers: ``Sequential`` (modules applied in order) and ``ModuleList`` (a registered list)."""

from collections import OrderedDict

from .module import Module, _indent


class _ModuleSequence(Module):
    """What Sequential and ModuleList share: their registered modules in order, ``len``,
    iteration and ``append`` (the next index as the name)."""

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module):
        self.add_module(str(len(self)), module)
        return self


class Sequential(_ModuleSequence):
    """Feed the input through each module in turn: ``Sequential(Linear(784, 10), ReLU())`` or,
    with names, ``Sequential(OrderedDict([("fc", Linear(784, 10)), ("act", ReLU())]))``.

    Index it (``model[0]``, ``model[-1]``, ``model[1:]`` gives a Sequential), ``len`` it, iterate
    it, ``append`` to it.
    """

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            for name, module in modules[0].items():
                self.add_module(name, module)
        else:
            for index, module in enumerate(modules):
                self.add_module(str(index), module)

    def forward(self, input):
        for module in self:
            input = module(input)
        return input

    def __getitem__(self, index):
        items = list(self._modules.items())
        if isinstance(index, slice):
            return Sequential(OrderedDict(items[index]))
        return items[_check_index(index, len(items), "Sequential")][1]


class ModuleList(_ModuleSequence):
    """A list of modules whose parameters the parent sees (a plain Python list would hide them).

    It has no ``forward``: the owner decides how to use its items.
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __getitem__(self, index):
        modules = list(self._modules.values())
        if isinstance(index, slice):
            return ModuleList(modules[index])
        return modules[_check_index(index, len(modules), "ModuleList")]

    def __setitem__(self, index, module):
        index = _check_index(index, len(self), "ModuleList")
        self.add_module(str(index), module)

    def extend(self, modules):
        for module in modules:
            self.append(module)
        return self

    def insert(self, index, module):
        modules = list(self._modules.values())
        modules.insert(index, module)
        self._modules.clear()
        self.extend(modules)

    def __repr__(self):
        """Runs of identical consecutive items are shown once, as ``(1-3): 3 x Linear(...)``,
        like PyTorch."""
        runs = []
        for index, module in enumerate(self):
            text = repr(module)
            if runs and runs[-1][2] == text:
                runs[-1][1] = index
            else:
                runs.append([index, index, text])
        if not runs:
            return "ModuleList()"
        lines = [
            _indent(
                f"({first}): {text}"
                if first == last
                else f"({first}-{last}): {last - first + 1} x {text}",
                2,
            )
            for first, last, text in runs
        ]
        return "ModuleList(\n  " + "\n  ".join(lines) + "\n)"


def _check_index(index, length, owner):
    if not -length <= index < length:
        raise IndexError(f"{owner} index {index} is out of range for length {length}")
    return index % length
