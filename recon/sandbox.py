"""``python -m recon.sandbox``, the command the README documents: runs :mod:`recon.portal.sandbox_cli`.

The sandbox portal itself is :mod:`recon.portal.sandbox`; this module only keeps the short command.
"""

from __future__ import annotations

import sys

from recon.portal.sandbox_cli import main

if __name__ == "__main__":
    sys.exit(main())
