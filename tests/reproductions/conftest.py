"""Loading a script of reproductions/ as a module, for tests of its helpers."""

import importlib.util
import sys
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parents[2] / "reproductions"


def load_script(name):
    """reproductions/NAME.py as a module. Run as a script, its folder is on sys.path (the
    scripts share reproductions/threads.py), so it is while the module loads."""
    sys.path.insert(0, str(SCRIPTS))
    try:
        spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(SCRIPTS))
    return module
