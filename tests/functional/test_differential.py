"""The one table-driven differential test: every op in chainrule.functional against PyTorch
and against finite differences, in float64, on the CPU and (when present) on a GPU.

The table is the concatenation of the ``CASES`` lists in ``cases_*.py``, one file per
``chainrule.functional`` module. A case's name is ``"op/variant"``.
"""

import importlib
import pathlib

import pytest

import chainrule as cr
import chainrule.functional as F

from .differential import check_case

_CASE_MODULES = sorted(p.stem for p in pathlib.Path(__file__).parent.glob("cases_*.py"))
TABLE = [
    case
    for name in _CASE_MODULES
    for case in importlib.import_module(f"{__package__}.{name}").CASES
]

DEVICES = [
    "cpu",
    pytest.param(
        "cuda", marks=pytest.mark.skipif(not cr.cuda_is_available(), reason="CuPy finds no GPU")
    ),
]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("case", TABLE, ids=str)
def test_op_matches_torch_and_finite_differences(case, device):
    check_case(case, device)


def test_table_covers_every_functional_op():
    covered = {case.name.split("/")[0] for case in TABLE}
    missing = sorted(set(F.__all__) - covered)
    assert not missing, f"ops with no row in the differential table: {missing}"


def test_case_names_are_unique():
    names = [case.name for case in TABLE]
    assert len(names) == len(set(names))
