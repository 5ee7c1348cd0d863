from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.http import HttpRequest

# Invitations, review links and their guests; notifications, mail and webhooks: each module
# registers its own on import.
from reviews import admin_access, admin_delivery  # noqa: F401
from reviews.accounts import normalize_username, username_problem
from reviews.models import Comment, Event, Membership, Project, Shot, Version

User = get_user_model()


class RenameUserForm(UserChangeForm):
    """Django's change form, refusing a rename onto another account's name in another case."""

    def clean_username(self) -> str:
        username = normalize_username(self.cleaned_data["username"])
        problem = username_problem(username, exclude_pk=self.instance.pk)
        if problem:
            raise forms.ValidationError(problem)
        return username


class NewUserForm(AdminUserCreationForm):
    """Django's creation form (NFKC, case-insensitive, validators), with our username rules too."""

    def clean_username(self) -> str:
        username = super().clean_username()
        # None: Django's own check already refused it (an exact or case twin).
        problem = username_problem(normalize_username(username)) if username else None
        if problem:
            raise forms.ValidationError(problem)
        return username


admin.site.unregister(User)


@admin.register(User)
class ReviewsUserAdmin(UserAdmin):
    form = RenameUserForm
    add_form = NewUserForm


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["name", "fps_numerator", "fps_denominator", "created_at"]
    search_fields = ["name"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["project", "user", "role"]
    list_filter = ["role"]
    list_select_related = ["project", "user"]
    autocomplete_fields = ["project", "user"]


@admin.register(Shot)
class ShotAdmin(admin.ModelAdmin):
    list_display = ["code", "project", "title", "order"]
    list_select_related = ["project"]
    search_fields = ["code", "title", "project__name"]


@admin.register(Version)
class VersionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "processing_state", "processing_progress", "review_status", "created_at"]
    list_filter = ["processing_state", "review_status"]
    list_select_related = ["shot"]
    search_fields = ["shot__code", "original_filename", "sha256"]
    # The clip is replaced by uploading a new version, never in place; with no file field the
    # form is not multipart, which only the upload endpoint accepts (FilesOnlyForUploadsMiddleware).
    readonly_fields = ["file", "sha256", "size_bytes", "processing_attempts", "outputs_dir", "filmstrip"]


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["id", "version", "author", "frame", "resolved", "created_at"]
    list_filter = ["resolved"]
    list_select_related = ["version__shot", "author"]
    search_fields = ["body", "author__username"]
    raw_id_fields = ["version", "parent", "thread"]
    filter_horizontal = ["mentions"]


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    """Read-only: the record is written with the changes it describes, never by hand."""

    list_display = ["id", "kind", "project", "actor", "subject_type", "subject_id", "created_at"]
    list_filter = ["kind"]
    list_select_related = ["project", "actor"]
    search_fields = ["project__name", "actor__username"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Event | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Event | None = None) -> bool:
        return False
