"""Command line: ``python -m optim list`` and ``python -m optim trace ...``; see ``python -m optim -h``."""

import sys

from .cli import main

sys.exit(main(sys.argv[1:]))
