"""The admin of who gets in from outside: invitations, review links and the guests who opened them,
and addresses waiting for their owner's confirmation.

These rows are written by the services (reviews/invitations.py, reviews/review_links.py), which
mail, record events and hash tokens as they go, so the admin only shows them. It never shows a
token's hash or a passphrase's hash: the fields are left out, not merely made read-only.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from reviews.models import EmailChange, Invitation, ReviewLink, ReviewLinkGuest


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows the service writes as things happen: the admin looks, and changes nothing."""

    def has_add_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return False


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    list_display = ["email", "project", "role", "state", "invited_by", "sent_at", "send_count", "expires_at"]
    list_filter = [
        "role",
        ("accepted_at", admin.EmptyFieldListFilter),
        ("revoked_at", admin.EmptyFieldListFilter),
    ]
    list_select_related = ["project", "invited_by"]
    search_fields = ["email", "project__name", "invited_by__username"]
    # token_hash and email_key are left out (the key is the address casefolded).
    fields = [
        *("project", "email", "role", "state", "invited_by", "created_at", "sent_at", "send_count"),
        *("expires_at", "accepted_at", "accepted_by", "revoked_at"),
    ]
    readonly_fields = fields

    @admin.display(description="state")
    def state(self, invitation: Invitation) -> str:
        return invitation.state.label


class GuestInline(admin.TabularInline):
    model = ReviewLinkGuest
    fields = ["name", "email", "created_at", "last_seen_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name = "open"
    verbose_name_plural = "opens (guests who gave their name)"

    def has_add_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return False


@admin.register(ReviewLink)
class ReviewLinkAdmin(ReadOnlyAdmin):
    list_display = [
        *("id", "label", "project", "state", "can_comment", "can_download_original", "has_passphrase"),
        *("opens", "expires_at", "created_by", "created_at"),
    ]
    list_filter = ["can_comment", "can_download_original", ("revoked_at", admin.EmptyFieldListFilter)]
    list_select_related = ["project", "created_by"]
    search_fields = ["label", "project__name"]
    # token_hash and passphrase_hash are left out; the versions and shots it shares are listed
    # in one query each (their own names would each fetch a shot).
    fields = [
        *("project", "label", "state", "has_passphrase", "can_comment", "can_download_original"),
        *("shared_versions", "shared_shots", "expires_at", "revoked_at", "created_by", "created_at"),
    ]
    readonly_fields = fields
    inlines = [GuestInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ReviewLink]:
        return super().get_queryset(request).annotate(open_count=Count("guests"))

    @admin.display(description="state")
    def state(self, link: ReviewLink) -> str:
        return link.state

    @admin.display(description="passphrase", boolean=True)
    def has_passphrase(self, link: ReviewLink) -> bool:
        return link.has_passphrase

    @admin.display(description="opens", ordering="open_count")
    def opens(self, link: ReviewLink) -> int:
        return link.open_count

    @admin.display(description="versions")
    def shared_versions(self, link: ReviewLink) -> str:
        return ", ".join(str(version) for version in link.versions.select_related("shot")) or "none"

    @admin.display(description="shots (their chosen or latest take)")
    def shared_shots(self, link: ReviewLink) -> str:
        return ", ".join(str(shot) for shot in link.shots.all()) or "none"


@admin.register(ReviewLinkGuest)
class ReviewLinkGuestAdmin(ReadOnlyAdmin):
    list_display = ["name", "email", "link", "project", "created_at", "last_seen_at"]
    list_select_related = ["link__project"]
    search_fields = ["name", "email", "link__label", "link__project__name"]
    fields = ["link", "name", "email", "created_at", "last_seen_at"]
    readonly_fields = fields

    @admin.display(description="project", ordering="link__project__name")
    def project(self, guest: ReviewLinkGuest) -> str:
        return str(guest.link.project)


@admin.register(EmailChange)
class EmailChangeAdmin(ReadOnlyAdmin):
    """Addresses asked for and not yet (or already) confirmed (reviews/email_confirm.py)."""

    list_display = ["user", "email", "created_at", "expires_at", "confirmed_at"]
    list_filter = [("confirmed_at", admin.EmptyFieldListFilter)]
    list_select_related = ["user"]
    search_fields = ["email", "user__username", "user__email"]
    # token_hash and bound_to are left out.
    fields = ["user", "email", "created_at", "expires_at", "confirmed_at"]
    readonly_fields = fields
