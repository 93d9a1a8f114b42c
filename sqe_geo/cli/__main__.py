"""``python -m sqe_geo.cli``: the ``sqe-geo`` command."""

import sys

from sqe_geo.cli import main

sys.exit(main())
