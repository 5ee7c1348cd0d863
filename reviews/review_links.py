"""Review links: creating, changing and revoking them, and what a guest holding one may see.

Writes (``review_link_*``, ``guest_join``) follow the services' conventions; the
reads that decide a guest's world are here too, so that every consumer asks the
same question:

- ``guest_versions(link)``: the versions a link shows right now;
- ``guest_can_see(link, version)``: whether a guest of ``link`` may see ``version``
  (False once the link is revoked or expired);
- ``guest_comments(link)``: the notes a guest may read (on those versions, never internal,
  nor a reply of an internal thread).

Live pages, notifications and exports that reach guests must use these, never
the members' selectors.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from reviews.events import event_record
from reviews.models import (
    Comment,
    Decision,
    EventKind,
    Project,
    ReviewLink,
    ReviewLinkGuest,
    Shot,
    Version,
)

# 32 bytes of `secrets`: 256 bits, well over the 128 a guessable-link attack would need.
TOKEN_BYTES = 32


def token_digest(token: str) -> str:
    """The hex SHA-256 a link's token is stored as."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def link_payload(link: ReviewLink) -> dict[str, Any]:
    return {"review_link": {"id": link.pk, "label": link.label}}


# --- reads ------------------------------------------------------------------

# What guests may read: a note is hidden when its own flag is internal or its thread's is
# (a reply keeps its own flag; making the thread public again does not publish a reply
# written internal).
PUBLIC = Q(internal=False) & (Q(thread__isnull=True) | Q(thread__internal=False))


def link_for_token(token: str) -> ReviewLink | None:
    """The link whose token is ``token`` (live or not), or None. Found by the token's hash, then
    compared in constant time, so neither the lookup nor the comparison depends on the secret."""
    if not token or len(token) > 128:
        return None
    digest = token_digest(token)
    link = ReviewLink.objects.select_related("project").filter(token_hash=digest).first()
    if link is None or not hmac.compare_digest(link.token_hash, digest):
        return None
    return link


def links_of(project: Project) -> QuerySet[ReviewLink]:
    """A project's links, newest first, with ``open_count`` and ``guest_comment_count``."""
    return (
        ReviewLink.objects.filter(project=project)
        .select_related("created_by")
        .prefetch_related("versions", "shots")
        .annotate(
            open_count=Count("guests", distinct=True),
            guest_comment_count=Count("guests__comments", distinct=True),
        )
        .order_by("-created_at", "-id")
    )


def opens_of(link: ReviewLink) -> QuerySet[ReviewLinkGuest]:
    """Who opened the link and when, newest first, with how many notes each wrote."""
    # Explicitly ordered: a grouped query does not use the model's default ordering.
    return (
        ReviewLinkGuest.objects.filter(link=link)
        .annotate(comment_count=Count("comments"))
        .order_by("-created_at", "-id")
    )


def notes_of(link: ReviewLink) -> QuerySet[Comment]:
    """The notes and replies the link's guests wrote, newest first, deleted ones left out, with
    their guest and version (for the director's panel: who wrote what, where)."""
    return (
        Comment.objects.filter(guest__link=link, deleted_at__isnull=True)
        .select_related("guest", "version__shot")
        .order_by("-created_at", "-id")
    )


def guest_versions(link: ReviewLink) -> QuerySet[Version]:
    """The versions the link shows now: those it names, and for each shot it names the chosen take,
    or the latest version when none is chosen. Empty once the link is revoked or expired."""
    if not link.is_live():
        return Version.objects.none()
    shots = link.shots.values("pk")
    chosen = Version.objects.filter(shot=OuterRef("shot"), decision=Decision.SELECTED)
    latest = Version.objects.filter(shot=OuterRef("shot")).order_by("-number").values("pk")[:1]
    return (
        Version.objects.filter(
            Q(pk__in=link.versions.values("pk"))
            | Q(shot__in=shots, decision=Decision.SELECTED)
            | (Q(shot__in=shots, pk=Subquery(latest)) & ~Exists(chosen))
        )
        .filter(shot__project_id=link.project_id)
        .select_related("shot__project")
        .order_by("shot__order", "shot__code", "shot_id", "number")
    )


def guest_can_see(link: ReviewLink, version: Version | int) -> bool:
    """Whether a guest of ``link`` may see ``version`` (a row or an id) right now."""
    version_id = version if isinstance(version, int) else version.pk
    return guest_versions(link).filter(pk=version_id).exists()


def guest_comments(link: ReviewLink) -> QuerySet[Comment]:
    """Every note and reply a guest of ``link`` may read: on its versions, not internal."""
    return (
        Comment.objects.filter(version__in=guest_versions(link).values("pk"))
        .filter(PUBLIC)
        .select_related("version__shot__project", "author", "resolved_by", "guest")
    )


def guest_shots(link: ReviewLink) -> QuerySet[Shot]:
    """The shots of the link's versions."""
    return Shot.objects.filter(pk__in=guest_versions(link).values("shot_id"))


# --- writes -----------------------------------------------------------------


def _check_scope(project: Project, versions: list[Version], shots: list[Shot]) -> None:
    if not versions and not shots:
        raise ValidationError(
            {"versions": ["Name at least one version, or a shot whose chosen take to show."]}
        )
    stray = [v.pk for v in versions if v.shot.project_id != project.pk]
    if stray:
        raise ValidationError({"versions": [f"Versions {stray} are not in this project."]})
    stray = [s.pk for s in shots if s.project_id != project.pk]
    if stray:
        raise ValidationError({"shots": [f"Shots {stray} are not in this project."]})


# The furthest a link's expiry may be set: a link meant never to end has none (null).
MAX_EXPIRY = timedelta(days=5 * 366)


def _check_expiry(expires_at: datetime | None) -> None:
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": ["This time has passed; give a time in the future."]})
    if expires_at is not None and expires_at > timezone.now() + MAX_EXPIRY:
        raise ValidationError(
            {"expires_at": ["Give a time within five years, or none for a link that does not expire."]}
        )


@transaction.atomic
def review_link_create(
    *,
    project: Project,
    by: AbstractBaseUser,
    versions: list[Version] = (),  # type: ignore[assignment]
    shots: list[Shot] = (),  # type: ignore[assignment]
    label: str = "",
    passphrase: str = "",
    expires_at: datetime | None = None,
    can_comment: bool = True,
    can_download_original: bool = False,
) -> tuple[ReviewLink, str]:
    """A new link and its token, which is returned here once and stored only as a hash."""
    versions, shots = list(versions), list(shots)
    _check_scope(project, versions, shots)
    _check_expiry(expires_at)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    link = ReviewLink.objects.create(
        project=project,
        label=label,
        token_hash=token_digest(token),
        passphrase_hash=make_password(passphrase) if passphrase else "",
        expires_at=expires_at,
        can_comment=can_comment,
        can_download_original=can_download_original,
        created_by=by,
    )
    link.versions.set(versions)
    link.shots.set(shots)
    event_record(
        kind=EventKind.REVIEW_LINK_CREATED,
        project=project,
        actor=by,
        subject=link,
        payload=link_payload(link),
    )
    return link, token


_UNCHANGED: Any = object()


@transaction.atomic
def review_link_update(
    *,
    link: ReviewLink,
    by: AbstractBaseUser,
    versions: Any = _UNCHANGED,
    shots: Any = _UNCHANGED,
    passphrase: Any = _UNCHANGED,
    **fields: Any,
) -> ReviewLink:
    """Change a link's label, expiry, permissions, passphrase (``""`` or None removes it) or
    scope. A revoked link stays revoked (``revoked_at`` given here revokes it)."""
    link = ReviewLink.objects.select_for_update().get(pk=link.pk)
    if link.revoked_at is not None:
        raise ValidationError({"detail": "This link was revoked; create a new one instead."})
    if "revoked_at" in fields:
        revoked = fields.pop("revoked_at")
        if revoked is None:
            raise ValidationError({"revoked_at": ["A link cannot be restored; create a new one instead."]})
    else:
        revoked = None
    if "expires_at" in fields:
        _check_expiry(fields["expires_at"])
    if versions is not _UNCHANGED or shots is not _UNCHANGED:
        new_versions = list(link.versions.all()) if versions is _UNCHANGED else list(versions)
        new_shots = list(link.shots.all()) if shots is _UNCHANGED else list(shots)
        _check_scope(link.project, new_versions, new_shots)
        link.versions.set(new_versions)
        link.shots.set(new_shots)
    if passphrase is not _UNCHANGED:
        link.passphrase_hash = make_password(passphrase) if passphrase else ""
    for name, value in fields.items():
        setattr(link, name, value)
    link.save()
    event_record(
        kind=EventKind.REVIEW_LINK_UPDATED,
        project=link.project_id,
        actor=by,
        subject=link,
        payload={
            **link_payload(link),
            "changed": sorted([*fields, *(["passphrase"] * (passphrase is not _UNCHANGED))]),
        },
    )
    if revoked is not None:
        review_link_revoke(link=link, by=by)
    return link


@transaction.atomic
def review_link_revoke(*, link: ReviewLink, by: AbstractBaseUser) -> ReviewLink:
    """Revoke a link: its guests' next request, and every media link minted for them, is refused.
    Revoking a revoked link changes nothing."""
    updated = ReviewLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    link.refresh_from_db()
    if updated:
        event_record(
            kind=EventKind.REVIEW_LINK_REVOKED,
            project=link.project_id,
            actor=by,
            subject=link,
            payload=link_payload(link),
        )
    return link


def passphrase_matches(link: ReviewLink, passphrase: str) -> bool:
    """Whether ``passphrase`` opens the link (always True for a link without one)."""
    if not link.passphrase_hash:
        return True
    return check_password(passphrase, link.passphrase_hash)


@transaction.atomic
def guest_join(*, link: ReviewLink, name: str, email: str = "") -> ReviewLinkGuest:
    """Record someone opening the link under ``name``: the guest their notes will be signed by."""
    if not link.is_live():
        raise ValidationError({"detail": "This review link has expired or was revoked."})
    guest = ReviewLinkGuest.objects.create(link=link, name=name, email=email, last_seen_at=timezone.now())
    event_record(
        kind=EventKind.REVIEW_LINK_OPENED,
        project=link.project_id,
        actor=None,
        subject=link,
        # The email stays with the director (opens endpoint); events reach more readers.
        payload={**link_payload(link), "guest": {"id": guest.pk, "name": guest.name}},
    )
    return guest
