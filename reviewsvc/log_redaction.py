"""Keep link secrets out of logs: invitation tokens and password-reset tokens live in URL paths.

``/invitations/<token>/`` and ``/accounts/password/reset/<uidb64>/<token>/`` are
secrets for as long as they work. Django logs the path of some answers to them
("Method Not Allowed (OPTIONS): /invitations/…/" on django.request, "Forbidden
(CSRF cookie not set.): …" on django.security.csrf), and gunicorn's access log
writes every request line. ``SecretPathFilter`` (settings.LOGGING) and
``RedactingGunicornLogger`` (reviewsvc/gunicorn_conf.py) replace those path
segments with ``[redacted]`` before anything is written.
"""

from __future__ import annotations

import logging
import re
from typing import Any

REDACTED = "[redacted]"
_SECRET_PATHS = [
    # Any segment after /invitations/ but the accept page's own name.
    (re.compile(r"(/invitations/)(?!accept(?:[/?\s\"']|$))[^/?#\s\"']+"), rf"\g<1>{REDACTED}"),
    # Two segments after /accounts/password/reset/ (uid and token); "sent/" and "complete/" are one.
    (
        re.compile(r"(/accounts/password/reset/)[^/?#\s\"']+/[^/?#\s\"']+"),
        rf"\g<1>{REDACTED}/{REDACTED}",
    ),
]


def redact_secret_paths(text: str) -> str:
    """``text`` with every invitation or password-reset token path replaced by ``[redacted]``."""
    for pattern, replacement in _SECRET_PATHS:
        text = pattern.sub(replacement, text)
    return text


class SecretPathFilter(logging.Filter):
    """Rewrite a record's message without the secret paths (the record is kept, not dropped)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_secret_paths(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


try:
    from gunicorn.glogging import Logger as _GunicornLogger
except ImportError:  # gunicorn is only needed to serve; tests and commands import this module too
    _GunicornLogger = object  # type: ignore[assignment,misc]


class RedactingGunicornLogger(_GunicornLogger):  # type: ignore[misc,valid-type]
    """gunicorn's logger, with the secret paths redacted from every access-log atom."""

    def atoms(self, resp: Any, req: Any, environ: dict, request_time: Any) -> dict:
        found = super().atoms(resp, req, environ, request_time)
        return {
            name: redact_secret_paths(value) if isinstance(value, str) else value
            for name, value in found.items()
        }
