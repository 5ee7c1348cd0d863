"""Keep link secrets out of logs: invitation tokens and password-reset tokens live in URL paths.

``/invitations/<token>/``, ``/accounts/password/reset/<uidb64>/<token>/``,
``/accounts/email/confirm/<token>/`` and a review link's ``/r/<token>`` are secrets for as long as they work. Django logs the path of some answers to them
("Method Not Allowed (OPTIONS): /invitations/…/" on django.request, "Forbidden
(CSRF cookie not set.): …" on django.security.csrf), and gunicorn's access log
and the uvicorn worker's access log (``uvicorn.access``) write every request
line. ``SecretPathFilter`` (settings.LOGGING) and ``RedactingGunicornLogger``
(reviewsvc/gunicorn_conf.py, which puts the filter on gunicorn's access and
error handlers: the uvicorn worker's loggers write through those very handlers)
replace those path segments with ``[redacted]`` before anything is written.
"""

from __future__ import annotations

import logging
import re
from typing import Any

REDACTED = "[redacted]"
_SECRET_PATHS = [
    # Any segment after a path's leading /invitations/ but the accept page's own name (the API's
    # /api/v1/projects/1/invitations/5/ holds no secret and stays as it is).
    (
        re.compile(r"((?:^|[\s\"']|://[^/\s\"']+)/invitations/)(?!accept(?:[/?\s\"']|$))[^/?#\s\"']+"),
        rf"\g<1>{REDACTED}",
    ),
    # A review link's gate, /r/<token> (reviews/guest_pages.py): only as a whole path, not ".../r/...".
    (re.compile(r"((?:^|[\s\"']|://[^/\s\"']+)/r/)[^/?#\s\"']+"), rf"\g<1>{REDACTED}"),
    # The segment after /accounts/email/confirm/ (reviews/email_confirm_pages.py); the bare page stays.
    (re.compile(r"(/accounts/email/confirm/)[^/?#\s\"']+"), rf"\g<1>{REDACTED}"),
    # Two segments after /accounts/password/reset/ (uid and token); "sent/" and "complete/" are one.
    (
        re.compile(r"(/accounts/password/reset/)[^/?#\s\"']+/[^/?#\s\"']+"),
        rf"\g<1>{REDACTED}/{REDACTED}",
    ),
]


def redact_secret_paths(text: str) -> str:
    """``text`` with every invitation, password-reset or email-confirmation token path replaced by ``[redacted]``."""
    for pattern, replacement in _SECRET_PATHS:
        text = pattern.sub(replacement, text)
    return text


def _redacted(value: Any) -> Any:
    return redact_secret_paths(value) if isinstance(value, str) else value


class SecretPathFilter(logging.Filter):
    """Redact a record's message and arguments in place (the record is kept, not dropped).

    The arguments keep their shape: uvicorn's access formatter unpacks them as
    (client, method, path, version, status).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = _redacted(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redacted(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: _redacted(arg) for key, arg in record.args.items()}
        return True


try:
    from gunicorn.glogging import Logger as _GunicornLogger
except ImportError:  # gunicorn is only needed to serve; tests and commands import this module too
    _GunicornLogger = object  # type: ignore[assignment,misc]


class RedactingGunicornLogger(_GunicornLogger):  # type: ignore[misc,valid-type]
    """gunicorn's logger: its handlers redact secret paths, and so do its own access-log atoms."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        # Run again on reopening the logs (SIGUSR1 / HUP), with new handlers: each gets the filter.
        for handler in [*self.access_log.handlers, *self.error_log.handlers]:
            if not any(isinstance(f, SecretPathFilter) for f in handler.filters):
                handler.addFilter(SecretPathFilter())

    def atoms(self, resp: Any, req: Any, environ: dict, request_time: Any) -> dict:
        found = super().atoms(resp, req, environ, request_time)
        return {
            name: redact_secret_paths(value) if isinstance(value, str) else value
            for name, value in found.items()
        }
