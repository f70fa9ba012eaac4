"""``python -m chainrule …`` runs the command-line interface (see ``chainrule.cli``)."""

import sys

from .cli import main

sys.exit(main())
