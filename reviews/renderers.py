"""The browsable API, under the same Content-Security-Policy as the pages but one relaxation.

DRF's page template writes its code highlighting as an inline ``<style>`` and lays
out two buttons with ``style`` attributes; scripts stay same-origin files. Only the
responses this renderer writes allow inline styles, never the review pages.
"""

from __future__ import annotations

from typing import Any

from rest_framework.renderers import BrowsableAPIRenderer as DRFBrowsableAPIRenderer


class BrowsableAPIRenderer(DRFBrowsableAPIRenderer):
    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: dict | None = None
    ) -> Any:
        response = (renderer_context or {}).get("response")
        if response is not None:
            # Read by django-csp's middleware (what its @csp_update decorator sets).
            response._csp_update = {"style-src": ["'unsafe-inline'"]}
        return super().render(data, accepted_media_type, renderer_context)
