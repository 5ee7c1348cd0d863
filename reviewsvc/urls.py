from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from reviews.views import ApiRootView

urlpatterns = [
    path("api/v1/", ApiRootView.as_view(), name="api-root"),
    path("api/v1/", include("reviews.urls")),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/v1/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("admin/", admin.site.urls),
    # The review pages and their session login (reviews/pages.py).
    path("", include("reviews.pages")),
]

handler400 = "reviews.errors.bad_request"
handler403 = "reviews.errors.permission_denied"
handler404 = "reviews.errors.not_found"
handler500 = "reviews.errors.server_error"
