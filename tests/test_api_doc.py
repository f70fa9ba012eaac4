"""docs/api.md against the package: every public name is documented in its section, and every
name a section lists as absent ("absent: `a`, `b`") is indeed absent, so the page cannot fall
behind the code in either direction."""

import inspect
import re
from pathlib import Path

import pytest

import chainrule
import chainrule.distributed
import chainrule.nn.functional
import chainrule.nn.init
import chainrule.nn.utils
import chainrule.optim.lr_scheduler
import chainrule.utils.data

DOC = Path(__file__).resolve().parents[1] / "docs" / "api.md"

# section heading of docs/api.md -> the namespaces whose names it documents
SECTIONS = {
    "Top level: `chainrule.*`": [chainrule],
    "`Tensor`": [chainrule.Tensor],
    "`nn` modules": [chainrule.nn],
    "`nn.functional`": [chainrule.nn.functional],
    "`optim` and `optim.lr_scheduler`": [chainrule.optim, chainrule.optim.lr_scheduler],
    "`utils.data`": [chainrule.utils.data],
    "`distributed`": [chainrule.distributed],
    "`nn.init`": [chainrule.nn.init],
    "`nn.utils`": [chainrule.nn.utils],
}


def sections(text):
    """``{heading: body}`` for each ``## heading`` of the document."""
    parts = re.split(r"^## (.+)$", text, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def quoted_identifiers(text):
    """Every identifier inside a `code span` of ``text``."""
    spans = " ".join(re.findall(r"`([^`]+)`", text))
    return set(re.findall(r"[A-Za-z_]\w*", spans))


def absent_names(text):
    """The names listed after "absent:", up to the end of the table cell, clause or sentence,
    leaving out remarks in parentheses; of a dotted name the last part."""
    names = set()
    for listing in re.findall(r"absent: (.+?)(?:\||;|\. |$)", text, flags=re.MULTILINE):
        for span in re.findall(r"`([^`]+)`", re.sub(r"\([^)]*\)", "", listing)):
            names.add(span.split("(")[0].split(".")[-1])
    return names


def public_names(namespace):
    """What a user reaches: public attributes that are not submodules, and for
    ``chainrule.nn`` its classes only; ``__all__`` where the namespace defines one."""
    if isinstance(namespace, type):
        return {n for n in dir(namespace) if not n.startswith("_")}
    names = getattr(namespace, "__all__", None) or [
        n for n in dir(namespace) if not n.startswith("_")
    ]
    found = {n for n in names if not inspect.ismodule(getattr(namespace, n))}
    if namespace is chainrule.nn:
        found = {n for n in found if inspect.isclass(getattr(namespace, n))}
    elif namespace is chainrule.optim.lr_scheduler:
        found = {
            n
            for n in found
            if getattr(getattr(namespace, n), "__module__", "") == namespace.__name__
        }
    return found


BODIES = sections(DOC.read_text(encoding="utf-8"))


@pytest.mark.parametrize("heading", SECTIONS)
def test_every_public_name_is_documented(heading):
    documented = quoted_identifiers(BODIES[heading])
    missing = {name for ns in SECTIONS[heading] for name in public_names(ns)} - documented
    assert not missing, f"docs/api.md, section {heading!r}, does not mention {sorted(missing)}"


@pytest.mark.parametrize("heading", SECTIONS)
def test_names_listed_as_absent_are_absent(heading):
    present = {
        name
        for name in absent_names(BODIES[heading])
        for ns in SECTIONS[heading]
        if hasattr(ns, name)
    }
    assert not present, f"docs/api.md, section {heading!r}, lists as absent {sorted(present)}"


def test_the_sections_exist():
    assert set(SECTIONS) <= set(BODIES)
    assert "Not supported" in BODIES
