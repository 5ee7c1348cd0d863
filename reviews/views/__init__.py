"""The REST API: validate input, call one service, serialize the result.

Objects come from the ``selectors`` querysets, so anything outside the user's
projects is a 404; what a principal may do is checked by the rules in ``permissions``.
"""

from __future__ import annotations

from reviews.views.comments import CommentDetailView, CommentListView
from reviews.views.events import ActivityView
from reviews.views.notes import NextPromptView, NoteTypesView
from reviews.views.projects import (
    MemberDetailView,
    MemberListView,
    ProjectDetailView,
    ProjectListView,
    ShotDetailView,
    ShotListView,
)
from reviews.views.root import ApiRootView
from reviews.views.takes import (
    ProjectSearchView,
    ShotVersionTreeView,
    VersionDecisionView,
    VersionRecommendationView,
)
from reviews.views.users import LogoutView, MeView, PasswordChangeView, TokenView, UserListView
from reviews.views.versions import (
    MediaFileView,
    VersionDetailView,
    VersionListView,
    VersionOriginalView,
    VersionReprocessView,
    VersionSeenView,
)
from reviews.views.webhooks import (
    WebhookDeliveryListView,
    WebhookDetailView,
    WebhookListView,
    WebhookRedeliverView,
    WebhookRotateSecretView,
    WebhookTestView,
)

__all__ = [
    "ActivityView",
    "ApiRootView",
    "CommentDetailView",
    "CommentListView",
    "LogoutView",
    "MeView",
    "MediaFileView",
    "MemberDetailView",
    "MemberListView",
    "NextPromptView",
    "NoteTypesView",
    "PasswordChangeView",
    "ProjectDetailView",
    "ProjectListView",
    "ProjectSearchView",
    "ShotDetailView",
    "ShotListView",
    "ShotVersionTreeView",
    "TokenView",
    "UserListView",
    "VersionDecisionView",
    "VersionDetailView",
    "VersionListView",
    "VersionOriginalView",
    "VersionRecommendationView",
    "VersionReprocessView",
    "VersionSeenView",
    "WebhookDeliveryListView",
    "WebhookDetailView",
    "WebhookListView",
    "WebhookRedeliverView",
    "WebhookRotateSecretView",
    "WebhookTestView",
]
