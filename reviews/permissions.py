"""The role matrix of the API contract, in one place.

Reading is decided by the querysets in ``selectors`` (a non-member never sees a
row, so gets 404); what a member may do to a row they can see is decided here
(403 with a sentence saying which role may).
"""

from __future__ import annotations

from enum import StrEnum

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from rest_framework.exceptions import PermissionDenied

from reviews.models import Role


class Action(StrEnum):
    READ = "read"
    COMMENT = "comment"
    RESOLVE = "resolve"
    MANAGE_SHOTS = "manage_shots"
    SET_REVIEW_STATUS = "set_review_status"
    MANAGE_MEMBERS = "manage_members"
    # Deleting other people's comments.
    MODERATE = "moderate"


MATRIX: dict[Role, frozenset[Action]] = {
    Role.DIRECTOR: frozenset(Action),
    Role.MENTOR: frozenset({Action.READ, Action.COMMENT, Action.RESOLVE, Action.SET_REVIEW_STATUS}),
    Role.REVIEWER: frozenset({Action.READ, Action.COMMENT}),
    Role.VIEWER: frozenset({Action.READ}),
}

_WHAT = {
    Action.READ: "see this project",
    Action.COMMENT: "comment",
    Action.RESOLVE: "resolve comments",
    Action.MANAGE_SHOTS: "upload versions or change shots",
    Action.SET_REVIEW_STATUS: "set the review status",
    Action.MANAGE_MEMBERS: "manage the project and its members",
    Action.MODERATE: "delete other people's comments",
}


def can(user: AbstractBaseUser | AnonymousUser, role: str | None, action: Action) -> bool:
    """Whether ``user``, whose role in the project is ``role`` (None: not a member), may act.

    Staff may do everything, so an admin can always step in.
    """
    if user.is_staff:
        return True
    if role is None:
        return False
    return action in MATRIX[Role(role)]


def roles_that_can(action: Action) -> list[str]:
    return [role.value for role, actions in MATRIX.items() if action in actions]


def require(user: AbstractBaseUser | AnonymousUser, role: str | None, action: Action) -> None:
    if not can(user, role, action):
        allowed = " or ".join(roles_that_can(action))
        yours = f"you are a {role}" if role else "you are not a member"
        raise PermissionDenied(f"Only a {allowed} can {_WHAT[action]} here; {yours}.")
