"""Who may act: the role matrix of the API contract and every rule built on it, in one place.

Reading is decided by the querysets in ``selectors`` (a non-member never sees a
row, so gets 404); what a principal may do to a row they can see is decided
here (403 with a sentence saying who may). The same answers are given to
clients as ``my_actions``, so pages never copy these rules.

A rule is asked with a :class:`Principal`: who is acting and their role in the
project at hand, not a ``User``, so that someone who is not an account (a guest
holding a review link) can be asked the same questions.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied

from reviews.models import Comment, Membership, Role


class Action(StrEnum):
    READ = "read"
    COMMENT = "comment"
    RESOLVE = "resolve"
    MANAGE_SHOTS = "manage_shots"
    SET_REVIEW_STATUS = "set_review_status"
    MANAGE_MEMBERS = "manage_members"
    # Deleting other people's comments.
    MODERATE = "moderate"
    # Choosing a shot's take (selected / rejected / candidate), and recommending one to the director.
    DECIDE = "decide"
    RECOMMEND = "recommend"
    # Downloading a version's uploaded file, byte for byte (docs/downloads.md).
    DOWNLOAD_ORIGINAL = "download_original"


class CommentAction(StrEnum):
    """What may be done to one comment, for its ``my_actions``."""

    REPLY = "reply"
    RESOLVE = "resolve"
    EDIT = "edit"
    DELETE = "delete"


# Every member may download originals: the file holds nothing a member cannot already read (its
# name, generation metadata and provenance are in the version, its picture in the proxy), and a
# team reviews, grades or conforms from it. Sharing it outside the team is a review link's
# ``can_download_original``, off by default (guest_actions).
MATRIX: dict[Role, frozenset[Action]] = {
    Role.DIRECTOR: frozenset(Action),
    Role.MENTOR: frozenset(
        {
            Action.READ,
            Action.COMMENT,
            Action.RESOLVE,
            Action.SET_REVIEW_STATUS,
            Action.RECOMMEND,
            Action.DOWNLOAD_ORIGINAL,
        }
    ),
    Role.REVIEWER: frozenset({Action.READ, Action.COMMENT, Action.DOWNLOAD_ORIGINAL}),
    Role.VIEWER: frozenset({Action.READ, Action.DOWNLOAD_ORIGINAL}),
}

_WHAT = {
    Action.READ: "see this project",
    Action.COMMENT: "comment",
    Action.RESOLVE: "resolve comments",
    Action.MANAGE_SHOTS: "upload versions or change shots",
    Action.SET_REVIEW_STATUS: "set the review status",
    Action.MANAGE_MEMBERS: "manage the project and its members",
    Action.MODERATE: "delete other people's comments",
    Action.DECIDE: "choose the take",
    Action.RECOMMEND: "recommend a take",
    Action.DOWNLOAD_ORIGINAL: "download the original file",
}

# Version fields anyone who manages shots may change; review_status and decision have their own actions.
_REVIEW_STATUS_FIELD = "review_status"
_DECISION_FIELD = "decision"


@dataclass(frozen=True)
class Principal:
    """Who is acting, and as what, in one project.

    ``user`` is None for a guest who is not an account; ``role`` is None when
    the principal is not a member (staff can still see and do everything).
    """

    user: AbstractBaseUser | None
    role: Role | str | None
    is_staff: bool = False
    # The ReviewLinkGuest acting, for a guest holding a review link (role GUEST).
    guest: Any = None
    # For a guest's event stream only: the ids of the versions the link showed when the stream
    # last read it (reviews/views/guest_live.py), so each event is checked without a query.
    versions: frozenset[int] | None = None

    @classmethod
    def of(cls, user: AbstractBaseUser | AnonymousUser, role: str | None) -> Principal:
        """The principal for a signed-in user whose role in the project is ``role``."""
        return cls(
            user=user if user.is_authenticated else None,
            role=Role(role) if role else None,
            is_staff=bool(user.is_staff),
        )

    @property
    def user_id(self) -> Any:
        return None if self.user is None else self.user.pk

    def is_author_of(self, comment: Comment) -> bool:
        if self.guest is not None:
            return comment.guest_id == self.guest.pk
        return self.user_id is not None and comment.author_id == self.user_id

    @classmethod
    def for_guest(cls, guest: Any, *, versions: frozenset[int] | None = None) -> Principal:
        """The principal of a guest holding a review link (a ReviewLinkGuest); ``versions``: the
        link's version ids, for an event stream (``can_receive_event``)."""
        return cls(user=None, role=GUEST, guest=guest, versions=versions)


# The role of someone holding a review link: they read what the link shows and, if it allows,
# comment and reply there; nothing else (reviews/review_links.py scopes what they see).
GUEST = "guest"


def guest_actions(link: Any) -> frozenset[Action]:
    """What a guest of ``link`` (a ReviewLink) may do: read, comment if the link allows it, and
    download originals if it allows that, while it is neither revoked nor expired."""
    if not link.is_live():
        return frozenset()
    allowed = {Action.READ}
    if link.can_comment:
        allowed.add(Action.COMMENT)
    if link.can_download_original:
        allowed.add(Action.DOWNLOAD_ORIGINAL)
    return frozenset(allowed)


def can(principal: Principal, action: Action) -> bool:
    """Whether the principal's role allows ``action``. Staff may do everything, so an admin can step in."""
    if principal.guest is not None:
        return action in guest_actions(principal.guest.link)
    if principal.is_staff:
        return True
    if principal.role is None:
        return False
    return action in MATRIX[principal.role]


def my_actions(principal: Principal) -> list[str]:
    """What the principal may do in the project, in the order of ``Action``."""
    return [action.value for action in Action if can(principal, action)]


def roles_that_can(action: Action) -> list[str]:
    return [role.value for role, actions in MATRIX.items() if action in actions]


def require(principal: Principal, action: Action) -> None:
    if principal.guest is not None and not can(principal, action):
        raise PermissionDenied(f"This review link does not let guests {_WHAT[action]}.")
    if not can(principal, action):
        allowed = " or ".join(roles_that_can(action))
        yours = f"you are a {principal.role}" if principal.role else "you are not a member"
        raise PermissionDenied(f"Only a {allowed} can {_WHAT[action]} here; {yours}.")


# --- comments ---------------------------------------------------------------


def can_resolve(principal: Principal, comment: Comment) -> bool:
    return can(principal, Action.RESOLVE)


def require_resolve(principal: Principal, comment: Comment) -> None:
    require(principal, Action.RESOLVE)


def can_edit_comment(principal: Principal, comment: Comment) -> bool:
    """A comment's text, drawing and type (a note's category and severity) are its author's words:
    nobody else changes them, not even staff."""
    return principal.is_author_of(comment)


def require_edit_comment(principal: Principal, comment: Comment) -> None:
    if not can_edit_comment(principal, comment):
        raise PermissionDenied(
            "Only its author can edit a comment's text, drawing or type (category, severity)."
        )


def can_mark_internal(principal: Principal, comment: Comment) -> bool:
    """Whether a note may be made internal (hidden from guests) or public again: its member author,
    or whoever may resolve it; never a guest, and never a guest's own note."""
    if principal.guest is not None or comment.guest_id is not None:
        return False
    return principal.is_author_of(comment) or can(principal, Action.RESOLVE)


def require_mark_internal(principal: Principal, comment: Comment) -> None:
    if not can_mark_internal(principal, comment):
        raise PermissionDenied(
            "Only a member who wrote the note, or one who may resolve it, can make it internal;"
            " a guest's note stays visible to the guests of its link."
        )


def can_share(principal: Principal) -> bool:
    """Creating, changing and revoking review links is the director's, like the project's members."""
    return principal.guest is None and can(principal, Action.MANAGE_MEMBERS)


def require_share(principal: Principal) -> None:
    if not can_share(principal):
        yours = f"you are a {principal.role}" if principal.role else "you are not a member"
        raise PermissionDenied(f"Only a director can share review links of this project; {yours}.")


def can_delete_comment(principal: Principal, comment: Comment) -> bool:
    # A guest may correct their note but not take it back: the director decides what goes.
    if principal.guest is not None:
        return False
    return principal.is_author_of(comment) or can(principal, Action.MODERATE)


def require_delete_comment(principal: Principal, comment: Comment) -> None:
    if principal.guest is not None:
        raise PermissionDenied("Guests cannot delete notes; ask the director who shared the link.")
    if not principal.is_author_of(comment):
        require(principal, Action.MODERATE)


def comment_actions(principal: Principal, comment: Comment) -> list[str]:
    """What the principal may do to one comment, for its ``my_actions``."""
    allowed = {
        CommentAction.REPLY: can(principal, Action.COMMENT),
        CommentAction.RESOLVE: can_resolve(principal, comment),
        # A deleted note (kept for others' replies) has nothing left to edit, and for its
        # author nothing left to delete; a director may still remove the thread.
        CommentAction.EDIT: can_edit_comment(principal, comment) and comment.deleted_at is None,
        CommentAction.DELETE: can_delete_comment(principal, comment)
        and (comment.deleted_at is None or can(principal, Action.MODERATE)),
    }
    return [action.value for action, yes in allowed.items() if yes]


# --- members ----------------------------------------------------------------


def can_remove_member(principal: Principal, membership: Membership) -> bool:
    """Anyone may leave a project; removing someone else is a director's call."""
    is_self = principal.user_id is not None and membership.user_id == principal.user_id
    return is_self or can(principal, Action.MANAGE_MEMBERS)


def require_remove_member(principal: Principal, membership: Membership) -> None:
    if not can_remove_member(principal, membership):
        require(principal, Action.MANAGE_MEMBERS)


# --- versions ---------------------------------------------------------------


def _actions_for_version_fields(fields: Iterable[str]) -> list[Action]:
    fields = set(fields)
    needed = []
    if _REVIEW_STATUS_FIELD in fields:
        needed.append(Action.SET_REVIEW_STATUS)
    if _DECISION_FIELD in fields:
        needed.append(Action.DECIDE)
    if fields - {_REVIEW_STATUS_FIELD, _DECISION_FIELD}:
        needed.append(Action.MANAGE_SHOTS)
    return needed


def can_patch_version_fields(principal: Principal, fields: Iterable[str]) -> bool:
    """The review status is a mentor's call too; the note and generation metadata are the shot's."""
    return all(can(principal, action) for action in _actions_for_version_fields(fields))


def require_patch_version_fields(principal: Principal, fields: Iterable[str]) -> None:
    for action in _actions_for_version_fields(fields):
        require(principal, action)


# --- webhooks ---------------------------------------------------------------


def require_manage_webhooks(principal: Principal) -> None:
    """Webhooks send the project's events outside it and hold a signing secret: a director's call."""
    if not can(principal, Action.MANAGE_MEMBERS):
        yours = f"you are a {principal.role}" if principal.role else "you are not a member"
        raise PermissionDenied(f"Only a director can manage this project's webhooks; {yours}.")


# --- notifications ----------------------------------------------------------


def can_be_notified(principal: Principal) -> bool:
    """Notifications, their settings and watches are a member's: staff who are not on the project get none."""
    return principal.user is not None and principal.role is not None


def require_be_notified(principal: Principal) -> None:
    if not can_be_notified(principal):
        raise PermissionDenied("Only members of the project get notifications; you are not a member.")


# --- live streams -------------------------------------------------------------


def can_receive_event(principal: Principal, *, version_id: int | None) -> bool:
    """Whether an open event stream may carry one event to the principal, asked per event and again
    while the stream is open (reviews/live_feed.py). No query: it runs on the event loop.

    ``version_id`` is the version the event is about, None for a project-wide one (members).
    Members receive everything in their project. A guest holding a review link receives only
    events about a version the link showed when the stream last read it (``principal.versions``),
    while the link is neither revoked nor expired; never a project-wide one. What a guest is sent
    of such an event is decided again, from the guest selectors, when it is sent
    (reviews/views/guest_live.py).
    """
    if principal.guest is not None:
        return (
            version_id is not None
            and version_id in (principal.versions or ())
            and can(principal, Action.READ)
        )
    return can(principal, Action.READ)
