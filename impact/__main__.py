"""Entry point for `python -m impact`."""

import sys

from impact.cli import main

sys.exit(main())
