"""Writes of projects, their members and shots."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.http import Http404

from reviews import selectors
from reviews.events import event_record, member_payload
from reviews.models import (
    EventKind,
    Membership,
    Project,
    Recommendation,
    Role,
    Shot,
)

M = TypeVar("M", bound=models.Model)


def model_update(*, instance: M, data: dict[str, Any]) -> tuple[M, list[str]]:
    """Set ``data`` on ``instance`` and save only the columns that changed.

    Changes are found on the columns, not the names given, so a property such as
    a project's ``fps`` saves the numerator and denominator behind it.
    """
    columns = instance._meta.concrete_fields
    before = {field.attname: getattr(instance, field.attname) for field in columns}
    for name, value in data.items():
        setattr(instance, name, value)
    changed = [field.name for field in columns if getattr(instance, field.attname) != before[field.attname]]
    if changed:
        instance.save(update_fields=changed)
    return instance, changed


def project_create(
    *, created_by: AbstractBaseUser, name: str, description: str = "", fps: Any = 24
) -> Project:
    project = Project(name=name, description=description, created_by=created_by)
    project.fps = fps
    with transaction.atomic():
        project.save()
        Membership.objects.create(project=project, user=created_by, role=Role.DIRECTOR)
    return project


def project_update(*, project: Project, **fields: Any) -> Project:
    project, _ = model_update(instance=project, data=fields)
    return project


@transaction.atomic
def member_add(*, project: Project, user: AbstractBaseUser, role: str, by: AbstractBaseUser) -> Membership:
    if Membership.objects.filter(project=project, user=user).exists():
        raise ValidationError({"user": [f"{user.get_username()} is already a member of this project."]})
    membership = Membership.objects.create(project=project, user=user, role=role)
    event_record(
        kind=EventKind.MEMBER_ADDED,
        project=project,
        actor=by,
        subject=user,
        payload={**member_payload(membership), "role": role},
    )
    return membership


def _ensure_another_director(membership: Membership) -> None:
    """Refuse to leave a project without a director, even when two directors step down at once.

    Every director row of the project is locked, in id order so that two callers queue instead
    of deadlocking; the second caller then sees the first one's change and is refused.
    """
    directors = list(
        Membership.objects.select_for_update()
        .filter(project_id=membership.project_id, role=Role.DIRECTOR)
        .order_by("id")
        .values_list("pk", flat=True)
    )
    if directors == [membership.pk]:
        raise ValidationError({"detail": "A project needs a director: make someone else director first."})


@transaction.atomic
def member_update(*, membership: Membership, role: str, by: AbstractBaseUser) -> Membership:
    if role != Role.DIRECTOR:
        _ensure_another_director(membership)
    previous = membership.role
    # An update, not save(): a membership removed meanwhile is a 404, not a failed save.
    if not Membership.objects.filter(pk=membership.pk).update(role=role):
        raise Http404("This person is no longer a member of the project.")
    membership.role = role
    if role != previous:
        event_record(
            kind=EventKind.MEMBER_ROLE_CHANGED,
            project=membership.project_id,
            actor=by,
            subject=membership.user,
            payload={**member_payload(membership), "from": previous, "to": role},
        )
    return membership


@transaction.atomic
def member_remove(*, membership: Membership, by: AbstractBaseUser) -> None:
    _ensure_another_director(membership)
    event_record(
        kind=EventKind.MEMBER_REMOVED,
        project=membership.project_id,
        actor=by,
        subject=membership.user,
        payload={**member_payload(membership), "role": membership.role},
    )
    # A recommendation is a member's voice in the project: it goes with the membership. Its row
    # lock makes a recommendation under way (reviews.takes) land first, to be removed here, or
    # wait and find the membership gone.
    list(Membership.objects.select_for_update().filter(pk=membership.pk).values_list("pk", flat=True))
    Recommendation.objects.filter(
        user_id=membership.user_id, version__shot__project_id=membership.project_id
    ).delete()
    membership.delete()


@contextmanager
def _shot_code_checked(shot: Shot) -> Iterator[None]:
    """Answer a code that another shot of the project has, in any case, with a 400 naming that
    shot. The unique constraint decides, so two racing requests cannot both win."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError as error:
        if "shot_unique_code_nocase" not in str(error):
            raise
        twin = selectors.shot_with_code(project=shot.project, code=shot.code, exclude=shot)
        raise ValidationError({"code": [shot_code_taken(twin)]}) from None


def shot_code_taken(twin: Shot | None) -> str:
    if twin is None:
        return (
            "This project already has a shot with this code; shot codes are compared without regard to case."
        )
    title = f" ({twin.title})" if twin.title else ""
    return (
        f"This project already has a shot {twin.code}{title}, id {twin.pk}; "
        "shot codes are compared without regard to case."
    )


def shot_create(*, project: Project, **fields: Any) -> Shot:
    if "order" not in fields:
        # A new shot goes after the others, whatever order the director gave them.
        last = Shot.objects.filter(project=project).aggregate(last=models.Max("order"))["last"]
        fields["order"] = 0 if last is None else last + 1
    shot = Shot(project=project, **fields)
    with _shot_code_checked(shot):
        shot.save()
    return shot


def shot_update(*, shot: Shot, **fields: Any) -> Shot:
    with _shot_code_checked(shot):
        shot, _ = model_update(instance=shot, data=fields)
    return shot
