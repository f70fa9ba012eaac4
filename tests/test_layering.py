"""The import graph of src/chainrule against the layer order written in docs/architecture.md.

The document is the single source: its list of layers (the block under ``src/chainrule/``,
top to bottom) is parsed here, every ``import`` of every module is read with ``ast`` (those
inside functions too), and each import must point to the module's own layer or one above it.
The graph of modules must have no cycle. ``chainrule/__init__.py``, the public API that
gathers the layers, is a layer of its own in the list, like any module.
"""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "chainrule"
DOC = ROOT / "docs" / "architecture.md"


def layer_order(doc_text):
    """``{entry: index}`` from the document's package listing: each line indented by two
    spaces under ``src/chainrule/`` names one layer, a module (``backend.py``) or a package
    (``nn/``); several entries on one line (``cli.py, __main__.py``) share a layer."""
    listing = doc_text.split("src/chainrule/\n", 1)[1].split("```", 1)[0]
    order = {}
    for line in listing.splitlines():
        match = re.match(r"  ([^\s,]+(?:, [^\s,]+)*)", line)
        if match is None or line.startswith("   "):
            continue
        layer = len(set(order.values()))
        order.update(
            {entry: layer for entry in match.group(1).split(", ") if entry.endswith((".py", "/"))}
        )
    return order


def modules(package):
    """``{dotted name: path}`` of every module of ``package`` (a folder), named from its root."""
    found = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def layer_entries(package):
    """``{dotted name: the document's entry}``: ``chainrule.nn.linear`` and ``chainrule.nn``
    → ``nn/``, ``chainrule.backend`` → ``backend.py``, ``chainrule`` → ``__init__.py``."""
    return {
        name: (parts[0] + "/" if len(parts) > 1 else parts[0])
        for name, path in modules(package).items()
        for parts in [path.relative_to(package).parts]
    }


def imports(name, path, known):
    """The modules of ``known`` that module ``name`` imports (``from x import y`` counts as
    ``x.y`` where that is a module, else as ``x``)."""
    is_package = path.name == "__init__.py"
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(name, is_package, node.module, node.level)
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                for alias in node.names
            ]
        else:
            continue
        found.update(_enclosing_module(t, known) for t in targets)
    found.discard(None)
    found.discard(name)
    return found


def _absolute(name, is_package, module, level):
    if level == 0:
        return module
    parts = name.split(".")
    base = parts if is_package else parts[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join(base + ([module] if module else []))


def _enclosing_module(target, known):
    while target and target not in known:
        target = target.rpartition(".")[0]
    return target or None


def graph(package):
    """``{module: set of imported modules}`` over ``package``'s own modules."""
    known = modules(package)
    return {name: imports(name, path, known) for name, path in known.items()}


def unplaced(entries, order):
    """The modules whose entry the document does not list."""
    return sorted(name for name, entry in entries.items() if entry not in order)


def upward_imports(edges, entries, order):
    """A sentence for every import of a module of a later layer than the importer's."""
    found = []
    for name, targets in sorted(edges.items()):
        for target in sorted(targets):
            here, there = entries[name], entries[target]
            if order.get(there, -1) > order.get(here, len(order)):
                found.append(
                    f"{name} ({here}) imports {target} ({there}), which comes later "
                    "in docs/architecture.md"
                )
    return found


def cycles(edges):
    """The strongly connected components of more than one module (Tarjan's algorithm,
    iterative), each as a sorted list."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, successors = work[-1]
            for successor in successors:
                if successor not in index:
                    index[successor] = low[successor] = len(index)
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(sorted(edges.get(successor, ())))))
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def test_the_document_lists_the_layers_in_order():
    order = layer_order(DOC.read_text(encoding="utf-8"))
    assert list(order)[:2] == ["errors.py", "backend.py"]
    assert order["functional/"] < order["nn/"] < order["train/"] < order["apps/"] < order["cli.py"]


def test_every_module_has_a_layer_in_the_document():
    order = layer_order(DOC.read_text(encoding="utf-8"))
    assert unplaced(layer_entries(PACKAGE), order) == []


def test_no_module_imports_a_later_layer():
    order = layer_order(DOC.read_text(encoding="utf-8"))
    assert upward_imports(graph(PACKAGE), layer_entries(PACKAGE), order) == []


def test_no_import_cycle_between_modules():
    assert cycles(graph(PACKAGE)) == []


def _fake_package(root, files):
    package = root / "chainrule"
    for relative, text in files.items():
        path = package / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return package


FAKE_DOC = """```
src/chainrule/
  backend.py        arrays
  nn/               modules
    linear.py       Linear
  __init__.py       the public API
  cli.py, __main__.py
```
"""


def test_the_checker_reports_an_upward_import_and_a_cycle(tmp_path):
    package = _fake_package(
        tmp_path,
        {
            "__init__.py": "from . import backend, nn\n",
            "backend.py": (
                "def f():\n    from .nn.linear import Linear  # upward, inside a function\n"
            ),
            "nn/__init__.py": "from .linear import Linear\n",
            "nn/linear.py": "from .. import backend\nfrom . import helper\n",
            "nn/helper.py": "import chainrule.nn.linear\n",
            "cli.py": "from chainrule import nn\n",
            "__main__.py": "from .cli import main\n",
            "stray.py": "",
        },
    )
    order = layer_order(FAKE_DOC)
    assert order == {"backend.py": 0, "nn/": 1, "__init__.py": 2, "cli.py": 3, "__main__.py": 3}
    edges, entries = graph(package), layer_entries(package)
    assert edges["chainrule.nn.linear"] == {"chainrule.backend", "chainrule.nn.helper"}
    assert entries["chainrule.nn"] == entries["chainrule.nn.helper"] == "nn/"
    assert upward_imports(edges, entries, order) == [
        "chainrule.backend (backend.py) imports chainrule.nn.linear (nn/), which comes later "
        "in docs/architecture.md"
    ]
    # backend → nn.linear → backend (the upward import) and nn.linear ↔ nn.helper: one knot
    assert cycles(edges) == [["chainrule.backend", "chainrule.nn.helper", "chainrule.nn.linear"]]
    del edges["chainrule.backend"]
    assert cycles(edges) == [["chainrule.nn.helper", "chainrule.nn.linear"]]
    assert unplaced(entries, order) == ["chainrule.stray"]
