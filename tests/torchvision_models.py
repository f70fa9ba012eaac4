"""``torchvision.models`` for the tests, on the CPU build of PyTorch.

PyPI's torchvision wheel is linked against the CUDA build of PyTorch, so with the CPU build its
compiled operators (nms, roi_align) fail to register and ``import torchvision`` raises. The model
definitions are plain ``torch.nn`` code: this imports ``torchvision.models`` as a sub-package of
an empty ``torchvision`` package, without the operator registration.
"""

import importlib.util
import sys
import types

import pytest


def torchvision_models():
    """The ``torchvision.models`` module, or skip the test where torchvision is not installed."""
    if "torchvision" not in sys.modules:
        spec = importlib.util.find_spec("torchvision")
        if spec is None:
            pytest.skip("torchvision is not installed")
        package = types.ModuleType("torchvision")
        package.__path__ = list(spec.submodule_search_locations)
        sys.modules["torchvision"] = package
    return importlib.import_module("torchvision.models")
