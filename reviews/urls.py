from __future__ import annotations

from django.urls import path

from reviews import views
from reviews.views import guest_live, guests, invitations, live, me, notifications, review_links

urlpatterns = [
    path("auth/token/", views.TokenView.as_view(), name="auth-token"),
    path("auth/logout/", views.LogoutView.as_view(), name="auth-logout"),
    path("me/", me.MeView.as_view(), name="me"),
    path("me/sign-out-everywhere/", me.SignOutEverywhereView.as_view(), name="me-sign-out-everywhere"),
    path("me/password/", views.PasswordChangeView.as_view(), name="me-password"),
    path("users/", views.UserListView.as_view(), name="user-list"),
    path("projects/", views.ProjectListView.as_view(), name="project-list"),
    path("projects/<int:pk>/", views.ProjectDetailView.as_view(), name="project-detail"),
    path("projects/<int:project_id>/members/", views.MemberListView.as_view(), name="member-list"),
    path(
        "projects/<int:project_id>/members/<int:user_id>/",
        views.MemberDetailView.as_view(),
        name="member-detail",
    ),
    path(
        "projects/<int:project_id>/invitations/",
        invitations.InvitationListView.as_view(),
        name="invitation-list",
    ),
    path(
        "projects/<int:project_id>/invitations/<int:pk>/",
        invitations.InvitationDetailView.as_view(),
        name="invitation-detail",
    ),
    path(
        "projects/<int:project_id>/invitations/<int:pk>/resend/",
        invitations.InvitationResendView.as_view(),
        name="invitation-resend",
    ),
    path("projects/<int:project_id>/activity/", views.ActivityView.as_view(), name="project-activity"),
    path("projects/<int:project_id>/webhooks/", views.WebhookListView.as_view(), name="webhook-list"),
    path(
        "projects/<int:project_id>/webhooks/<int:pk>/",
        views.WebhookDetailView.as_view(),
        name="webhook-detail",
    ),
    path(
        "projects/<int:project_id>/webhooks/<int:pk>/test/",
        views.WebhookTestView.as_view(),
        name="webhook-test",
    ),
    path(
        "projects/<int:project_id>/webhooks/<int:pk>/rotate-secret/",
        views.WebhookRotateSecretView.as_view(),
        name="webhook-rotate-secret",
    ),
    path(
        "projects/<int:project_id>/webhooks/<int:pk>/deliveries/",
        views.WebhookDeliveryListView.as_view(),
        name="webhook-deliveries",
    ),
    path(
        "projects/<int:project_id>/webhooks/<int:pk>/deliveries/<int:delivery_id>/redeliver/",
        views.WebhookRedeliverView.as_view(),
        name="webhook-redeliver",
    ),
    # Server-sent events for live pages (docs/live.md); served by the ASGI event loop.
    path("projects/<int:project_id>/events/", live.project_events, name="project-events"),
    path("versions/<int:version_id>/events/", live.version_events, name="version-events"),
    path("projects/<int:project_id>/shots/", views.ShotListView.as_view(), name="shot-list"),
    path("shots/<int:pk>/", views.ShotDetailView.as_view(), name="shot-detail"),
    path("shots/<int:shot_id>/versions/", views.VersionListView.as_view(), name="version-list"),
    path("versions/<int:pk>/", views.VersionDetailView.as_view(), name="version-detail"),
    path("versions/<int:pk>/seen/", views.VersionSeenView.as_view(), name="version-seen"),
    path("versions/<int:pk>/reprocess/", views.VersionReprocessView.as_view(), name="version-reprocess"),
    path("versions/<int:pk>/original/", views.VersionOriginalView.as_view(), name="version-original"),
    path("versions/<int:version_id>/comments/", views.CommentListView.as_view(), name="comment-list"),
    # Issue 14's takes (docs/takes.md).
    path("versions/<int:pk>/decision/", views.VersionDecisionView.as_view(), name="version-decision"),
    path(
        "versions/<int:pk>/recommendation/",
        views.VersionRecommendationView.as_view(),
        name="version-recommendation",
    ),
    path("shots/<int:shot_id>/versions/tree/", views.ShotVersionTreeView.as_view(), name="version-tree"),
    path("projects/<int:project_id>/search/", views.ProjectSearchView.as_view(), name="project-search"),
    path("comments/<int:pk>/", views.CommentDetailView.as_view(), name="comment-detail"),
    path("note-categories/", views.NoteTypesView.as_view(), name="note-categories"),
    path("versions/<int:pk>/next-prompt/", views.NextPromptView.as_view(), name="version-next-prompt"),
    path("notifications/", notifications.NotificationListView.as_view(), name="notification-list"),
    path(
        "notifications/unread-count/",
        notifications.UnreadCountView.as_view(),
        name="notification-unread-count",
    ),
    path(
        "notifications/read-all/",
        notifications.NotificationReadAllView.as_view(),
        name="notification-read-all",
    ),
    path(
        "notifications/<int:pk>/read/", notifications.NotificationReadView.as_view(), name="notification-read"
    ),
    path(
        "projects/<int:project_id>/notification-settings/",
        notifications.NotificationSettingsView.as_view(),
        name="notification-settings",
    ),
    path(
        "me/notification-settings/", notifications.DigestPreferencesView.as_view(), name="digest-preferences"
    ),
    path("shots/<int:shot_id>/watch/", notifications.ShotWatchView.as_view(), name="shot-watch"),
    path("media/<str:token>/<str:filename>", views.MediaFileView.as_view(), name="media-file"),
    # Review links (docs/review-links.md): the director's side, then the guest's.
    path(
        "projects/<int:project_id>/review-links/",
        review_links.ReviewLinkListView.as_view(),
        name="review-link-list",
    ),
    path(
        "projects/<int:project_id>/review-links/<int:pk>/",
        review_links.ReviewLinkDetailView.as_view(),
        name="review-link-detail",
    ),
    path(
        "projects/<int:project_id>/review-links/<int:link_id>/opens/",
        review_links.ReviewLinkOpensView.as_view(),
        name="review-link-opens",
    ),
    path(
        "projects/<int:project_id>/review-links/<int:link_id>/notes/",
        review_links.ReviewLinkNotesView.as_view(),
        name="review-link-notes",
    ),
    path("guest/", guests.GuestLinkView.as_view(), name="guest-link"),
    path("guest/projects/<int:pk>/", guests.GuestProjectView.as_view(), name="guest-project"),
    path("guest/projects/<int:pk>/members/", guests.GuestMemberListView.as_view(), name="guest-members"),
    path("guest/note-categories/", guests.GuestNoteTypesView.as_view(), name="guest-note-categories"),
    path("guest/shots/<int:pk>/", guests.GuestShotView.as_view(), name="guest-shot"),
    path(
        "guest/shots/<int:pk>/versions/", guests.GuestShotVersionsView.as_view(), name="guest-shot-versions"
    ),
    path("guest/versions/<int:pk>/", guests.GuestVersionView.as_view(), name="guest-version-detail"),
    path(
        "guest/versions/<int:pk>/original/",
        guests.GuestVersionOriginalView.as_view(),
        name="guest-version-original",
    ),
    path(
        "guest/versions/<int:pk>/comments/", guests.GuestCommentListView.as_view(), name="guest-comment-list"
    ),
    path("guest/comments/<int:pk>/", guests.GuestCommentDetailView.as_view(), name="guest-comment-detail"),
    path(
        "guest/versions/<int:version_id>/events/",
        guest_live.guest_version_events,
        name="guest-version-events",
    ),
]
