"""The error answers of the OpenAPI schema, added to every operation in one place.

drf-spectacular documents the success of each operation; clients (and the
schema fuzzing in tests/test_fuzz.py) also need the errors the contract
promises: every 4xx and the 503 of a database hiccup is JSON, either
``{"detail": "a sentence"}`` or field errors ``{"field": ["a sentence"]}``.
Which errors an operation can give follows from its shape, so a new view is
documented without a decorator.
"""

from __future__ import annotations

from typing import Any

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
    "413": "The upload is larger than the server's limit.",
    "415": "The body is not in one of the content types listed for this operation.",
    "429": "Too many requests; the answer says how many seconds to wait.",
    "503": "The database is briefly unavailable; try again in a few seconds.",
}
# Operations rate-limited by a ScopedRateThrottle (see TokenView, VersionListView), or that
# check a secret and so answer 429 after too many misses (PasswordChangeView, MemberListView).
_THROTTLED = {
    ("post", "/api/v1/auth/token/"),
    ("post", "/api/v1/shots/{shot_id}/versions/"),
    ("post", "/api/v1/me/password/"),
    ("post", "/api/v1/projects/{project_id}/members/"),
}


def _error_codes(path: str, method: str, operation: dict[str, Any]) -> list[str]:
    parameters = operation.get("parameters", [])
    in_path = any(parameter["in"] == "path" for parameter in parameters)
    in_query = {parameter["name"] for parameter in parameters if parameter["in"] == "query"}
    body = operation.get("requestBody", {}).get("content", {})
    authenticated = any(requirement for requirement in operation.get("security", [{}]))
    codes = []
    if body or in_query - _PAGINATION:
        codes.append("400")
    if authenticated:
        codes += ["401", "403"]
    if in_path or in_query & _PAGINATION:
        codes.append("404")
    if body:
        codes.append("408")
    if "multipart/form-data" in body and method == "post" and path.endswith("/versions/"):
        codes.append("413")
    if body:
        codes.append("415")
    if (method, path) in _THROTTLED:
        codes.append("429")
    codes.append("503")
    return codes


def add_error_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular postprocessing hook (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"])."""
    result.setdefault("components", {}).setdefault("schemas", {})[ERROR_COMPONENT] = ERROR_SCHEMA
    reference = {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for code in _error_codes(path, method, operation):
                responses.setdefault(
                    code, {"description": _WHY[code], "content": {"application/json": {"schema": reference}}}
                )
    return result
