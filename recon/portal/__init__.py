"""The GST portal: the taxpayer-API connector (``client``, ``crypto``, ``config``), the app's entry points
(``service``) and a local sandbox portal (``sandbox`` and its ``sandbox_*`` modules, one per idea) that
speaks the same conversation.

Importing this package installs a logging filter on the ``recon.portal`` loggers that blanks out every
registered secret (client secret, OTP, app key, session key, auth token), as a second line of defence
behind never logging them in the first place.
"""

from __future__ import annotations

import logging

from recon.portal.config import scrub


class RedactSecrets(logging.Filter):
    """Replace registered secrets in a record's message and arguments with ***."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            try:
                record.msg = record.getMessage()
            except (TypeError, ValueError):
                record.msg = str(record.msg)
            record.args = None
        record.msg = scrub(str(record.msg))
        return True


_FILTER = RedactSecrets()
for _name in ("recon.portal", "recon.portal.client", "recon.portal.service", "recon.portal.sandbox"):
    logging.getLogger(_name).addFilter(_FILTER)
