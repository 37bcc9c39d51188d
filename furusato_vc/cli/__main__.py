"""``python -m furusato_vc.cli`` (the same as the ``furusato-vc`` command)."""

import sys

from furusato_vc.cli import main

sys.exit(main())
