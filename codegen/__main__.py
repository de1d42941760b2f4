"""``python -m kubetyped.codegen``: the same as the ``kubetyped`` command."""

import sys

from .cli import main

sys.exit(main())
