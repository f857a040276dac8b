"""``python -m simulator.cli``: the same as ``cbec-sd``."""

import sys

from simulator.cli import main

sys.exit(main())
