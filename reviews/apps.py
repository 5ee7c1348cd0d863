from __future__ import annotations

from pathlib import Path

from django.apps import AppConfig
from django.conf import settings
from django.contrib.admin import apps as admin_apps


class ReviewsConfig(AppConfig):
    name = "reviews"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from reviews import (
            accounts,  # noqa: F401  (revokes tokens on a password change)
            checks,  # noqa: F401  (registers the deploy checks)
            webhooks,  # noqa: F401  (registers its event consumer)
        )
        from reviews.notifications import (
            tasks,  # noqa: F401  (registers the notifications consumer and its tasks)
        )

        # Uploads stream into this folder; on a fresh volume it does not exist yet.
        Path(settings.FILE_UPLOAD_TEMP_DIR).mkdir(parents=True, exist_ok=True)


class ReviewsAdminConfig(admin_apps.AdminConfig):
    """Django's admin on our site class (reviews.admin_site), named here because it loads before the models."""

    default = False
    default_site = "reviews.admin_site.ReviewsAdminSite"
