"""Views of typed notes: the documented categories and severities, and a version's next prompt."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from reviews import selectors
from reviews.models import NoteCategory, Severity
from reviews.next_prompt import next_prompt, next_prompt_markdown


class MarkdownRenderer(BaseRenderer):
    """The next prompt as Markdown (``?format=md`` or ``Accept: text/markdown``); an error as its text."""

    media_type = "text/markdown"
    format = "md"
    charset = "utf-8"

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: dict | None = None
    ) -> bytes:
        response = (renderer_context or {}).get("response")
        if response is not None and response.status_code >= 400:
            detail = data.get("detail", data) if isinstance(data, dict) else data
            return f"{detail}\n".encode()
        return next_prompt_markdown(data).encode()


class NoteTypesView(APIView):
    """The categories and severities a note may carry: stored values with their labels."""

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request) -> Response:
        return Response(
            {
                "categories": [{"value": value, "label": label} for value, label in NoteCategory.choices],
                "severities": [{"value": value, "label": label} for value, label in Severity.choices],
            }
        )


class NextPromptView(APIView):
    renderer_classes = [JSONRenderer, MarkdownRenderer]

    @extend_schema(
        responses={
            200: OpenApiResponse(
                OpenApiTypes.OBJECT, description="JSON, or Markdown with ?format=md / Accept: text/markdown."
            )
        }
    )
    def get(self, request: Request, pk: int) -> Response:
        """The version's prompt, seed and model, then its open notes by category and severity."""
        version = get_object_or_404(selectors.versions_for(request.user), pk=pk)
        return Response(next_prompt(version))
