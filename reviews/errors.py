"""Every error is JSON a person can act on: ``{"detail": "..."}`` or ``{"field": ["..."]}``.

Services, tasks and commands raise Django's exceptions (they do not depend on
DRF); this is the one place that maps them to the contract's shape.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, DataError, IntegrityError
from django.http import HttpRequest, JsonResponse, UnreadablePostError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from reviews.media.uploads import UploadTooLarge, discard_partial_uploads, human_size
from reviews.throttling import TooManyTries
from reviews.timecode import TimecodeError

logger = logging.getLogger(__name__)


class ServiceUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The database is briefly unavailable; try again in a few seconds."
    default_code = "service_unavailable"


class UploadStalled(exceptions.APIException):
    status_code = status.HTTP_408_REQUEST_TIMEOUT
    default_code = "upload_stalled"

    def __init__(self) -> None:
        super().__init__(
            f"The upload stalled: no data arrived for {settings.REQUEST_BODY_IDLE_TIMEOUT} s. "
            "Check the connection and upload again."
        )


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "upload_too_large"


class LimitExceeded(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "limit_exceeded"


def limit_exceeded(exc: Exception) -> LimitExceeded | None:
    """The 413 for one of Django's request limits, naming the limit; None for any other error.

    Django raises these as SuspiciousOperation, which it answers as a 400 "bad request":
    the client sent a well-formed request that is simply too big, and must be told which limit.
    """
    if isinstance(exc, RequestDataTooBig):
        return LimitExceeded(
            f"The request body is larger than {human_size(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)},"
            " the limit for everything but an uploaded clip; send less at a time."
        )
    if isinstance(exc, TooManyFieldsSent):
        return LimitExceeded(
            f"The request has more than {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} fields or parameters,"
            " the limit; send fewer."
        )
    if isinstance(exc, TooManyFilesSent):
        return LimitExceeded(
            f"The request has more than {settings.DATA_UPLOAD_MAX_NUMBER_FILES} files, the limit;"
            " upload one clip at a time."
        )
    return None


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    limit = limit_exceeded(exc)
    if limit is not None:
        exc = limit
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        )
    elif isinstance(exc, DjangoPermissionDenied):
        # DRF would answer with its generic sentence; the rules in permissions.py say who may act.
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, UploadTooLarge):
        exc = PayloadTooLarge(str(exc))
    elif isinstance(exc, TimecodeError):
        exc = exceptions.ValidationError({"detail": str(exc)})
    elif isinstance(exc, TooManyTries):
        # The sentence already says how long to wait; Throttled(wait=…) would say it again.
        wait = exc.wait
        exc = exceptions.Throttled(detail=str(exc))
        exc.wait = wait  # still sent as Retry-After
    elif isinstance(exc, IntegrityError):
        # A constraint caught what validation let through (usually a race):
        # the write did not happen, and the client can retry or correct it.
        logger.warning("integrity error in %s: %s", context.get("view"), exc)
        exc = exceptions.ValidationError(
            {
                "detail": "That change conflicts with the current data (it may have just changed); reload and try again."
            }
        )
    elif isinstance(exc, UnreadablePostError):
        # The client stopped sending its body (the socket timeout of
        # BodyIdleTimeoutMiddleware) or dropped the connection halfway.
        discard_partial_uploads(context.get("request"))
        exc = (
            UploadStalled()
            if isinstance(exc.__cause__, TimeoutError)
            else exceptions.ParseError("The request body was cut off before its end; send it again.")
        )
    elif isinstance(exc, DataError):
        # A value validation let through that the column cannot hold: the client's
        # input, not the database's health. Logged, so that validation catches it next time.
        logger.warning("data error in %s: %s", context.get("view"), exc)
        exc = exceptions.ValidationError(
            {
                "detail": "A value in the request cannot be stored (too large, or holding a character"
                " such as \\u0000 that the database refuses); correct it and send it again."
            }
        )
    elif isinstance(exc, DatabaseError):
        logger.exception("database error in %s", context.get("view"))
        exc = ServiceUnavailable()
    response = drf_exception_handler(exc, context)
    # The contract promises {"detail": "a sentence"}; a service that raised
    # ValidationError({"detail": ...}) would otherwise answer with a list.
    if response is not None and isinstance(response.data, dict):
        detail = response.data.get("detail")
        if isinstance(detail, list) and all(isinstance(item, str) for item in detail):
            response.data["detail"] = " ".join(detail)
    if response is not None:
        response.data = _cut_echoes(response.data)
    return response


# DRF quotes what it refuses ('"xxx…" is not a valid choice.'): a 2 MB value made a 2 MB answer.
MAX_MESSAGE = 1000


def _cut_echoes(data: Any) -> Any:
    """Every message of an error answer at most ``MAX_MESSAGE`` characters, its kind kept."""
    if isinstance(data, dict):
        return {key: _cut_echoes(value) for key, value in data.items()}
    if isinstance(data, list):
        return [_cut_echoes(item) for item in data]
    if isinstance(data, str) and len(data) > MAX_MESSAGE:
        text = data[: MAX_MESSAGE - 1] + "…"
        return (
            exceptions.ErrorDetail(text, code=data.code) if isinstance(data, exceptions.ErrorDetail) else text
        )
    return data


def not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse({"detail": "Not found: check the address."}, status=404)


def server_error(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        {
            "detail": "Something went wrong on our side; it has been logged. Try again, and tell an admin if it persists."
        },
        status=500,
    )


def bad_request(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    limit = limit_exceeded(exception) if exception is not None else None
    if limit is not None:
        return JsonResponse({"detail": str(limit.detail)}, status=limit.status_code)
    return JsonResponse({"detail": "The request could not be understood; check its format."}, status=400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse({"detail": "You do not have access to this."}, status=403)


def csrf_failure(request: HttpRequest, reason: str = "") -> JsonResponse:
    return JsonResponse(
        {
            "detail": "The CSRF check failed: reload the page, or send an Authorization token instead of a session cookie."
        },
        status=403,
    )
