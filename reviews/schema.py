"""The error answers of the OpenAPI schema, added to every operation in one place.

drf-spectacular documents the success of each operation; clients (and the
schema fuzzing in tests/test_fuzz.py) also need the errors the contract
promises: every 4xx and the 503 of a database hiccup is JSON, either
``{"detail": "a sentence"}`` or field errors ``{"field": ["a sentence"]}``.
Which errors an operation can give follows from its shape, and the 429 and 413
from its view (AutoSchema below), so a new view is documented without a decorator.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular import openapi as spectacular_openapi
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import serializers as drf_serializers

ERROR_COMPONENT = "Error"
ERROR_SCHEMA = {
    "type": "object",
    "description": (
        '`{"detail": "a sentence"}`, or for invalid input one list of sentences per field, '
        'e.g. `{"body": ["This field is required."]}`.'
    ),
    "properties": {"detail": {"type": "string"}},
    # Field errors are keyed by field name; nested fields nest.
    "additionalProperties": {},
}
_PAGINATION = {"page", "page_size"}
_WHY = {
    "400": "The input is invalid; the answer says which field and why.",
    "401": "No valid token or session was sent.",
    "403": "Your role in the project does not allow this (the answer says which role does).",
    "404": "Not found, or not in a project you belong to (the two are indistinguishable).",
    "408": "The client stopped sending the request body; send it again.",
    "413": "The request is past a limit the answer names: the upload size, a 2.5 MiB body, 1000 fields or 100 files.",
    "415": "The body is not in one of the content types listed for this operation (only the upload takes files).",
    "416": "The range starts past the end of the file; Content-Range gives its size.",
    "429": "Too many requests; the answer says how many seconds to wait.",
    "503": "The database is briefly unavailable; try again in a few seconds.",
}
# The errors AutoSchema documents from the view rather than from the operation's shape.
_FROM_VIEW = ("413", "429")
_REFERENCE = {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}


def _error_response(code: str) -> dict[str, Any]:
    return {"description": _WHY[code], "content": {"application/json": {"schema": _REFERENCE}}}


class AutoSchema(spectacular_openapi.AutoSchema):
    """drf-spectacular's AutoSchema (REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]), adding the errors that
    only the view knows of: a 429 where it throttles this method, a 413 where it takes a file."""

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        responses = operation.setdefault("responses", {})
        # The view's request is drf-spectacular's mock of this operation's method, so a view that
        # throttles only some methods (VersionListView: uploads, not reading) answers for each.
        # 429 also where the view checks a secret that locks out after too many misses
        # (reviews.throttling.guard_secret, the sign-in lockout), named by `secret_checked_methods`.
        checks_secret = self.method.lower() in getattr(self.view, "secret_checked_methods", ())
        if self.view.get_throttles() or checks_secret:
            responses.setdefault("429", _error_response("429"))
        if (
            "multipart/form-data" in operation.get("requestBody", {}).get("content", {})
            and self._takes_a_file()
        ):
            responses.setdefault("413", _error_response("413"))
        return operation

    def _takes_a_file(self) -> bool:
        request = self.get_request_serializer()
        serializers = request.values() if isinstance(request, dict) else [request]
        for serializer in serializers:
            if isinstance(serializer, type) and issubclass(serializer, drf_serializers.BaseSerializer):
                serializer = serializer()
            fields = getattr(serializer, "fields", {})
            if any(isinstance(field, drf_serializers.FileField) for field in fields.values()):
                return True
        return False


def _error_codes(path: str, method: str, operation: dict[str, Any]) -> list[str]:
    parameters = operation.get("parameters", [])
    in_path = any(parameter["in"] == "path" for parameter in parameters)
    in_query = {parameter["name"] for parameter in parameters if parameter["in"] == "query"}
    body = operation.get("requestBody", {}).get("content", {})
    authenticated = any(requirement for requirement in operation.get("security", [{}]))
    codes = []
    # A page or page size that is not a whole number is a 400 too (reviews.pagination).
    if body or in_query:
        codes.append("400")
    if authenticated:
        codes += ["401", "403"]
    if in_path or in_query & _PAGINATION:
        codes.append("404")
    if body:
        codes.append("408")
    # Django's limits (a 2.5 MiB body, 1000 fields or parameters) apply to every request that has them.
    if body or in_query:
        codes.append("413")
    if body:
        codes.append("415")
    if any(parameter["in"] == "header" and parameter["name"] == "Range" for parameter in parameters):
        codes.append("416")
    codes.append("503")
    return codes


def add_error_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular postprocessing hook (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"])."""
    result.setdefault("components", {}).setdefault("schemas", {})[ERROR_COMPONENT] = ERROR_SCHEMA
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            # AutoSchema added the view's own (413, 429); listed again here, all errors go in code order.
            from_view = [code for code in _FROM_VIEW if responses.pop(code, None)]
            for code in sorted([*_error_codes(path, method, operation), *from_view]):
                responses.setdefault(code, _error_response(code))
    return result


class GuestSessionScheme(OpenApiAuthenticationExtension):
    """The guest API's authentication in the schema: the session cookie the review-link gate sets."""

    target_class = "reviews.views.guests.GuestSessionAuthentication"
    name = "guestSession"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": "sessionid",
            "description": "Set by /r/<token> once a guest gives a name (and the passphrase); docs/review-links.md.",
        }
