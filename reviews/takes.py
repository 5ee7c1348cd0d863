"""Writes of issue 14's takes: the director's decision, mentors' recommendations, lineage.

Every change of a shot's takes (and a version's delete) queues on the shot's row lock, so two directors selecting
different takes at once are applied one after the other (the later one wins) and the
database's partial unique index (one selected take per shot) is never what refuses them.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404

from reviews import permissions
from reviews.events import event_record, version_payload
from reviews.models import Decision, EventKind, Membership, ProcessingState, Recommendation, Shot, Version


def lock_shot(shot_id: int) -> None:
    """Queue on the shot's row lock until the transaction ends (Http404 if the shot is gone)."""
    if not list(Shot.objects.select_for_update().filter(pk=shot_id).values_list("pk", flat=True)):
        raise Http404("This shot was deleted meanwhile.")


def _reload(version: Version) -> None:
    try:
        version.refresh_from_db(fields=["decision", "parent_version", "processing_state"])
    except Version.DoesNotExist:
        raise Http404("This version was deleted meanwhile.") from None


@transaction.atomic
def version_decide(*, version: Version, decision: str, by: AbstractBaseUser | None) -> Version:
    """Set the director's ``decision`` (a ``Decision`` value) on ``version``.

    Selecting a take makes the shot's previously selected take a candidate again, in the same
    transaction. Records ``version.decision_changed`` with ``from``, ``to`` and
    ``previous_selected`` (``{"id", "number"}`` of the take it replaced, or null); setting the
    decision it already has changes and records nothing. Raises Http404 if the version or its
    shot was deleted meanwhile, and a ValidationError on ``decision`` for selecting a take whose
    processing failed.
    """
    lock_shot(version.shot_id)
    _reload(version)
    previous_decision = version.decision
    if decision == previous_decision:
        return version
    if decision == Decision.SELECTED:
        _refuse_failed(version, "decision", "be the chosen take")
    previous_selected = None
    if decision == Decision.SELECTED:
        previous_selected = (
            Version.objects.filter(shot_id=version.shot_id, decision=Decision.SELECTED)
            .exclude(pk=version.pk)
            .only("id", "number")
            .first()
        )
        if previous_selected is not None:
            Version.objects.filter(pk=previous_selected.pk).update(decision=Decision.CANDIDATE)
    try:
        with transaction.atomic():
            Version.objects.filter(pk=version.pk).update(decision=decision)
    except IntegrityError:
        # Only reachable if a writer skipped the shot lock: the index still holds.
        raise ValidationError(
            {"detail": "Another take of this shot was selected meanwhile; try again."}
        ) from None
    version.decision = decision
    event_record(
        kind=EventKind.VERSION_DECISION_CHANGED,
        project=version.shot.project_id,
        actor=by,
        subject=version,
        payload={
            **version_payload(version),
            "from": previous_decision,
            "to": decision,
            "previous_selected": (
                {"id": previous_selected.pk, "number": previous_selected.number}
                if previous_selected
                else None
            ),
        },
    )
    return version


def _refuse_failed(version: Version, field: str, what: str) -> None:
    """A take whose clip could not be processed cannot be watched, so it cannot be chosen: a
    ValidationError on ``field``. One still processing may be (the director may know it)."""
    if version.processing_state == ProcessingState.FAILED:
        raise ValidationError(
            {
                field: f"v{version.number} could not be processed, so it cannot {what}; reprocess it or choose another take."
            }
        )


@transaction.atomic
def version_recommend(*, version: Version, by: AbstractBaseUser) -> Version:
    """``by`` recommends ``version`` as the shot's take; recommending it twice changes nothing.

    Records ``version.recommended`` (the version and its shot; the recommender is the actor) when
    the recommendation is new. Raises Http404 if the version was deleted meanwhile, and a
    ValidationError for a take whose processing failed.
    """
    # On the shot's lock, a recommendation and its withdrawal from another tab are applied one
    # after the other, and the version cannot be deleted in between.
    lock_shot(version.shot_id)
    _reload(version)
    _require_recommender(version, by)
    _refuse_failed(version, "detail", "be recommended")
    _, created = Recommendation.objects.get_or_create(version=version, user=by)
    if created:
        _record_recommendation(EventKind.VERSION_RECOMMENDED, version, by)
    return version


@transaction.atomic
def version_unrecommend(*, version: Version, by: AbstractBaseUser) -> Version:
    """``by`` withdraws their recommendation of ``version``, if they had made one.

    Records ``version.recommendation_withdrawn`` when there was one to withdraw. Raises Http404
    if the version was deleted meanwhile.
    """
    lock_shot(version.shot_id)
    _reload(version)
    deleted, _ = Recommendation.objects.filter(version=version, user=by).delete()
    if deleted:
        _record_recommendation(EventKind.VERSION_RECOMMENDATION_WITHDRAWN, version, by)
    return version


def _require_recommender(version: Version, by: AbstractBaseUser) -> None:
    """``by`` may still recommend: their membership is read again under its row lock, which a
    removal takes too (``member_remove``), so one committed meanwhile refuses (PermissionDenied)
    and one under way is applied first or waits, and then removes this recommendation with the
    others. The view's check alone let a recommendation land after its author had left."""
    role = (
        Membership.objects.select_for_update()
        .filter(project_id=version.shot.project_id, user_id=by.pk)
        .values_list("role", flat=True)
        .first()
    )
    permissions.require(permissions.Principal.of(by, role), permissions.Action.RECOMMEND)


def _record_recommendation(kind: EventKind, version: Version, by: AbstractBaseUser) -> None:
    event_record(
        kind=kind,
        project=version.shot.project_id,
        actor=by,
        subject=version,
        payload=version_payload(version),
    )


def parent_check(*, shot_id: int, version: Version | None, parent_id: int | None) -> Version | None:
    """The version ``parent_id`` names, if it may be the parent of ``version`` (None: a new one).

    Refused, with a ValidationError on ``parent_version``: an id that is no version of the same
    shot (the answer is the same whether it exists elsewhere or not), the version itself, or one
    of its descendants. Call it holding the shot's lock (as ``version_set_parent`` does) so that
    two changes cannot build a cycle between them.
    """
    if parent_id is None:
        return None
    parent = Version.objects.filter(shot_id=shot_id, pk=parent_id).only("id", "number", "shot_id").first()
    if parent is None:
        raise ValidationError(
            {
                "parent_version": [
                    f"This shot has no version with id {parent_id}; "
                    "a take is regenerated from another take of the same shot."
                ]
            }
        )
    if version is None:
        return parent
    if parent.pk == version.pk:
        raise ValidationError({"parent_version": ["A version cannot be regenerated from itself."]})
    parents = dict(Version.objects.filter(shot_id=shot_id).values_list("pk", "parent_version_id"))
    ancestor: Any = parent.pk
    seen = set()
    while ancestor is not None and ancestor not in seen:
        if ancestor == version.pk:
            raise ValidationError(
                {
                    "parent_version": [
                        f"v{parent.number} was itself regenerated from v{version.number}: "
                        "that would make a cycle."
                    ]
                }
            )
        seen.add(ancestor)
        ancestor = parents.get(ancestor)
    return parent


@transaction.atomic
def version_set_parent(*, version: Version, parent_id: int | None) -> Version:
    """Say which take (by id) ``version`` was regenerated from (None: none); see ``parent_check``."""
    lock_shot(version.shot_id)
    _reload(version)
    parent = parent_check(shot_id=version.shot_id, version=version, parent_id=parent_id)
    if version.parent_version_id != (parent.pk if parent else None):
        Version.objects.filter(pk=version.pk).update(parent_version=parent)
        version.parent_version = parent
    return version


def lineage_tree(versions: list[Version]) -> list[dict[str, Any]]:
    """The versions of a shot as a forest: each node ``{"version": Version, "children": [...]}``.

    Roots are versions without a parent (or whose parent is not in ``versions``); children are
    in number order. Pure: no query beyond what ``versions`` already hold.
    """
    by_id = {version.pk: {"version": version, "children": []} for version in versions}
    roots = []
    for version in sorted(versions, key=lambda version: version.number):
        node = by_id[version.pk]
        parent = by_id.get(version.parent_version_id)
        (parent["children"] if parent is not None else roots).append(node)
    return roots
