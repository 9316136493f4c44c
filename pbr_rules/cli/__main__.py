"""`python -m pbr_rules.cli`: the same as the `pbr` command."""

import sys

from . import main

sys.exit(main())
