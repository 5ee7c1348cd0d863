"""The admin of what the service sends: notifications and people's settings for them, the mail
outbox, webhooks and their deliveries.

The records (notifications, mail, deliveries) are written as things happen and only shown. A
webhook's secret is never shown, and of a mail only its envelope: the bodies of mail that held
a live link are blanked once sent or given up (reviews/mail.py), and until then, like every
mail's unsubscribe link and headers, carry tokens. People's notification settings can be
edited, as they can in the app.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.forms import ModelForm
from django.http import HttpRequest

from reviews.admin_access import ReadOnlyAdmin
from reviews.models import (
    DigestPreferences,
    Notification,
    NotificationSettings,
    OutgoingMail,
    ShotWatch,
    Webhook,
    WebhookAttempt,
    WebhookDelivery,
)
from reviews.webhooks import webhook_update


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "recipient",
        "project",
        "kind",
        "version",
        "email",
        "emailed_at",
        "read_at",
        "created_at",
    ]
    list_filter = [
        "email",
        ("read_at", admin.EmptyFieldListFilter),
        ("emailed_at", admin.EmptyFieldListFilter),
    ]
    list_select_related = ["recipient", "project", "event", "version__shot"]
    search_fields = ["recipient__username", "project__name"]
    fields = [
        *("recipient", "project", "event", "kind", "version", "reasons"),
        *("email", "emailed_at", "read_at", "created_at"),
    ]
    readonly_fields = fields

    @admin.display(description="event kind", ordering="event__kind")
    def kind(self, notification: Notification) -> str:
        return notification.event.kind


@admin.register(NotificationSettings)
class NotificationSettingsAdmin(admin.ModelAdmin):
    list_display = ["user", "project", "level", "email_level"]
    list_filter = ["level", "email_level"]
    list_select_related = ["user", "project"]
    search_fields = ["user__username", "project__name"]
    autocomplete_fields = ["user", "project"]


@admin.register(DigestPreferences)
class DigestPreferencesAdmin(admin.ModelAdmin):
    list_display = ["user", "frequency", "hour", "time_zone", "last_sent_at"]
    list_filter = ["frequency"]
    list_select_related = ["user"]
    search_fields = ["user__username"]
    autocomplete_fields = ["user"]
    readonly_fields = ["last_sent_at"]


@admin.register(ShotWatch)
class ShotWatchAdmin(admin.ModelAdmin):
    list_display = ["user", "shot", "project", "watching", "changed_at"]
    list_filter = ["watching"]
    list_select_related = ["user", "shot__project"]
    search_fields = ["user__username", "shot__code", "shot__project__name"]
    autocomplete_fields = ["user", "shot"]

    @admin.display(description="project", ordering="shot__project__name")
    def project(self, watch: ShotWatch) -> str:
        return str(watch.shot.project)


@admin.register(OutgoingMail)
class OutgoingMailAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "key",
        "recipients",
        "subject",
        "state",
        "secret",
        "attempts",
        "created_at",
        "sent_at",
    ]
    list_filter = ["state", "secret"]
    search_fields = ["key", "subject"]
    # The bodies and header values are left out: see the module's docstring.
    fields = [
        *("key", "recipients", "subject", "state", "secret", "attempts", "last_error"),
        *("header_names", "created_at", "sent_at"),
    ]
    readonly_fields = fields

    @admin.display(description="to")
    def recipients(self, mail: OutgoingMail) -> str:
        return ", ".join(mail.to) if isinstance(mail.to, list) else str(mail.to)

    @admin.display(description="headers (values not shown)")
    def header_names(self, mail: OutgoingMail) -> str:
        return ", ".join(mail.headers) if isinstance(mail.headers, dict) and mail.headers else "none"


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    """Shown, and switched on or off; the URL and event types change through the API, which
    checks them, and the secret is never shown (rotated through the API)."""

    list_display = ["id", "url", "project", "description", "active", "created_by", "created_at"]
    list_filter = ["active"]
    list_select_related = ["project", "created_by"]
    search_fields = ["url", "description", "project__name"]
    fields = ["project", "url", "event_types", "description", "active", "created_by", "created_at"]
    readonly_fields = ["project", "url", "event_types", "created_by", "created_at"]

    def has_add_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Webhook, form: ModelForm, change: bool) -> None:
        changed: dict[str, Any] = {name: form.cleaned_data[name] for name in form.changed_data}
        if changed:
            webhook_update(webhook=Webhook.objects.get(pk=obj.pk), **changed)


class AttemptInline(admin.TabularInline):
    model = WebhookAttempt
    fields = ["number", "started_at", "duration_ms", "response_code", "error"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = [
        *("id", "webhook", "project", "event_type", "state", "attempts"),
        *("next_attempt_at", "created_at", "delivered_at"),
    ]
    list_filter = ["state", "event_type"]
    list_select_related = ["webhook__project"]
    search_fields = ["event_type", "webhook__url", "webhook__project__name"]
    # The body is the event as sent (and signed); the signature is not stored.
    fields = [
        *("webhook", "event", "redelivery_of", "event_type", "state", "attempts", "claimed_at"),
        *("next_attempt_at", "created_at", "delivered_at", "body"),
    ]
    readonly_fields = fields
    inlines = [AttemptInline]

    @admin.display(description="project", ordering="webhook__project__name")
    def project(self, delivery: WebhookDelivery) -> str:
        return str(delivery.webhook.project)
