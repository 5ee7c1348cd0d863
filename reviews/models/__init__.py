"""The service's data, one module per part: the review domain, the outbox of mail, notifications.

Everything is importable from ``reviews.models``; a new part adds its module here.
"""

from reviews.models.email_changes import EmailChange
from reviews.models.invitations import Invitation, InvitationState
from reviews.models.mail import OutgoingMail, OutgoingMailState
from reviews.models.notes import CarriedThread
from reviews.models.notifications import (
    DIRECT_REASONS,
    DigestFrequency,
    DigestPreferences,
    EmailRoute,
    Notification,
    NotificationLevel,
    NotificationReason,
    NotificationSettings,
    ShotWatch,
)
from reviews.models.review import (
    Comment,
    Decision,
    Event,
    EventKind,
    Membership,
    NoteCategory,
    ProcessingState,
    Project,
    ReviewStatus,
    Role,
    Severity,
    Shot,
    Version,
    VersionView,
    original_upload_to,
)
from reviews.models.review_links import ReviewLink, ReviewLinkGuest
from reviews.models.takes import Recommendation
from reviews.models.webhooks import DeliveryState, Webhook, WebhookAttempt, WebhookDelivery

__all__ = [
    "DIRECT_REASONS",
    "CarriedThread",
    "Comment",
    "Decision",
    "DeliveryState",
    "DigestFrequency",
    "DigestPreferences",
    "EmailChange",
    "EmailRoute",
    "Event",
    "EventKind",
    "Invitation",
    "InvitationState",
    "Membership",
    "NoteCategory",
    "Notification",
    "NotificationLevel",
    "NotificationReason",
    "NotificationSettings",
    "OutgoingMail",
    "OutgoingMailState",
    "ProcessingState",
    "Project",
    "Recommendation",
    "ReviewLink",
    "ReviewLinkGuest",
    "ReviewStatus",
    "Role",
    "Severity",
    "Shot",
    "ShotWatch",
    "Version",
    "VersionView",
    "Webhook",
    "WebhookAttempt",
    "WebhookDelivery",
    "original_upload_to",
]
