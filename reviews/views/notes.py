"""Views of typed notes: the documented categories and severities, and a version's next prompt."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.exceptions import ParseError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from reviews import selectors
from reviews.models import NoteCategory, Severity
from reviews.next_prompt import next_prompt, next_prompt_markdown


class MarkdownRenderer(BaseRenderer):
    """The next prompt as Markdown (``?format=md`` or ``Accept: text/markdown``); never an error,
    which is JSON whatever was asked (``NextPromptView.finalize_response``)."""

    media_type = "text/markdown"
    format = "md"
    charset = "utf-8"

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: dict | None = None
    ) -> bytes:
        return next_prompt_markdown(data).encode()


# ?format= values and the renderer format each one names.
FORMATS = {"json": "json", "md": "md", "markdown": "md"}


class FormatFirstNegotiation(DefaultContentNegotiation):
    """``?format=`` wins over ``Accept`` (a link someone shares says what it gives); an unknown
    format is a 400 naming the known ones, not DRF's 404 (which reads as a missing version)."""

    def select_renderer(
        self, request: Request, renderers: list[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        asked = format_suffix or request.query_params.get(self.settings.URL_FORMAT_OVERRIDE)
        if not asked:
            return super().select_renderer(request, renderers, format_suffix)
        wanted = FORMATS.get(asked.strip().lower())
        for renderer in renderers:
            if renderer.format == wanted:
                return renderer, renderer.media_type
        raise ParseError(f"Unknown format {asked[:40]!r}: use format=json or format=md (or markdown).")


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
    content_negotiation_class = FormatFirstNegotiation

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        # Every error is JSON {"detail": ...} (the contract), even when Markdown was asked for.
        if response.status_code >= 400:
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)

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
