"""``python -m pyflare``: the same as the ``pyflare`` command."""

import sys

from pyflare.cli import main

sys.exit(main())
