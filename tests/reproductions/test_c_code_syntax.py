"""The function-cutting rule of reproductions/c_code_syntax.py (the C-code LM's gcc measure)."""

import shutil

import pytest

from tests.reproductions.conftest import load_script


@pytest.fixture(scope="module")
def cutter():
    return load_script("c_code_syntax")


ADD = (
    "static int\nadd (int a, int b)\n{\n  if (a)\n    {\n      return a + b;\n    }\n  return b;\n}"
)


def test_a_gnu_style_function_is_cut_with_its_return_type_line(cutter):
    text = f"/* comment */\n#include <stdio.h>\n\n{ADD}\n\nint x;\n"
    assert cutter.cut_functions(text) == ([ADD], 0)


def test_declarations_calls_and_keywords_are_not_functions(cutter):
    text = "int f (void);\nif (x)\n{\n}\nforeach (a)\n  b;\n#define G(x) { x }\n"
    assert cutter.cut_functions(text) == ([], 0)


def test_a_body_with_an_unbalanced_parenthesis_still_ends_at_the_column_0_brace(cutter):
    broken = 'int\nmain (void)\n{\n  printf ("unclosed %d\n  if (x {\n}'
    assert cutter.cut_functions(broken + "\n\n" + ADD) == ([broken, ADD], 0)


def test_a_parameter_list_split_by_if_is_skipped_and_the_scan_goes_on(cutter):
    split = "int\nf (int a,\n#ifdef W\n   int b)\n#else\n   long b)\n#endif\n{\n  return 0;\n}"
    assert cutter.cut_functions(split + "\n\n" + ADD) == ([ADD], 0)


def test_a_sample_that_ends_inside_a_body_counts_as_truncated(cutter):
    assert cutter.cut_functions(ADD + "\n\nint\ng (void)\n{\n  return 1;\n") == ([ADD], 1)


@pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc")
def test_gcc_accepts_a_good_function_and_rejects_a_broken_one(cutter):
    assert cutter.passes_gcc(ADD)
    assert not cutter.passes_gcc("int\nmain (void)\n{\n  return undeclared_name;\n}")


def test_results_at_other_temperatures_get_their_own_names(cutter):
    assert cutter.result_name(0.8) == "char_lm_c-code"
    assert cutter.result_name(0.5) == "char_lm_c-code_T0.5"
    assert cutter.result_name(1.0) == "char_lm_c-code_T1"
