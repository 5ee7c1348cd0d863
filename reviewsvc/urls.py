from __future__ import annotations

from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from reviews.views import ApiRootView

urlpatterns = [
    path("api/v1/", ApiRootView.as_view(), name="api-root"),
    path("api/v1/", include("reviews.urls")),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view loads its start-up script from a URL, not inline, so the page keeps the
    # strict script-src; Swagger UI's own template still has an inline <style>.
    path(
        "api/v1/docs/",
        csp_update({"style-src": [UNSAFE_INLINE]})(SpectacularSwaggerSplitView.as_view(url_name="schema")),
        name="docs",
    ),
    path("admin/", admin.site.urls),
    # Review links: the guest's gate, playlist and player (reviews/guest_pages.py).
    path("", include("reviews.guest_pages")),
    # The review pages and their session login (reviews/pages.py).
    path("", include("reviews.pages")),
    # Invitation links and the account pages (reviews/invitation_pages.py, reviews/account_pages.py).
    path("", include("reviews.invitation_pages")),
    path("", include("reviews.account_pages")),
    path("", include("reviews.email_confirm_pages")),
]

handler400 = "reviews.errors.bad_request"
handler403 = "reviews.errors.permission_denied"
handler404 = "reviews.errors.not_found"
handler500 = "reviews.errors.server_error"
