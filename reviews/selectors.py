"""Every read that matters, built in one place.

Each ``*_for(who)`` queryset holds only what a user or principal may see (a
non-member gets nothing, so the API answers 404) and carries ``my_role``, their
role in the row's project, from which ``principal_in`` builds the principal
that ``permissions`` is asked with.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    DateTimeField,
    Exists,
    F,
    FilteredRelation,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce, Lower

from reviews.accounts import normalize_username
from reviews.models import (
    CarriedThread,
    Comment,
    Decision,
    Event,
    EventKind,
    Membership,
    ProcessingState,
    Project,
    Recommendation,
    Shot,
    Version,
    VersionView,
    Webhook,
    WebhookDelivery,
)
from reviews.permissions import Principal

User = AbstractBaseUser | AnonymousUser
# Who is looking: a signed-in user, or a principal (a member, a guest holding a link).
Viewer = User | Principal


def principal_in(user: User, row: Project | Shot | Version | Comment) -> Principal:
    """The principal acting on a row of a ``*_for`` queryset, from its ``my_role``."""
    return Principal.of(user, row.my_role)


def _role_in(user_id: int | None, project_ref: str) -> Subquery:
    return Subquery(
        Membership.objects.filter(project=OuterRef(project_ref), user_id=user_id).values("role")[:1]
    )


def _visible(queryset: QuerySet, viewer: Viewer, project_path: str) -> QuerySet:
    role_ref = f"{project_path}__id" if project_path else "id"
    user_id = viewer.user_id if isinstance(viewer, Principal) else viewer.pk
    queryset = queryset.annotate(my_role=_role_in(user_id, role_ref))
    if viewer.is_staff:
        return queryset
    return queryset.filter(my_role__isnull=False)


def projects_for(viewer: Viewer) -> QuerySet[Project]:
    return _visible(Project.objects.all(), viewer, "")


def memberships_of(project: Project) -> QuerySet[Membership]:
    return Membership.objects.filter(project=project).select_related("user").order_by("created_at", "id")


def account_to_add(
    *,
    requester: User,
    user_id: int | None = None,
    username: str | None = None,
    email: str | None = None,
) -> AbstractBaseUser | None:
    """The one account a director means, or None, without saying which accounts exist.

    A name or an email must match one account exactly (in any case, after NFKC,
    as sign-in matches). An id is only taken for someone the requester already
    works with in some project, so counting through ids finds no one new.
    """
    accounts = get_user_model()._default_manager.filter(is_active=True)
    if username is not None:
        matches = accounts.filter(username__iexact=normalize_username(username))
    elif email is not None:
        matches = accounts.filter(email__iexact=email.strip()) if email.strip() else accounts.none()
    elif user_id is not None:
        matches = accounts.filter(pk=user_id)
        if not requester.is_staff:
            shared = Membership.objects.filter(user_id=requester.pk).values("project_id")
            matches = matches.filter(memberships__project_id__in=shared).distinct()
    else:
        return None
    found = list(matches[:2])
    return found[0] if len(found) == 1 else None


def with_comment_counts(versions: QuerySet[Version]) -> QuerySet[Version]:
    """Versions with `comment_count` (every note and reply) and `open_thread_count` (notes not
    yet resolved, with those carried onto it from its previous take), what a shot card shows."""
    # A deleted note kept for its replies is not part of the conversation any more.
    # Open threads carried onto a version from its previous take are open on it too (reviews.carry_over).
    carried_open = (
        CarriedThread.objects.filter(
            version=OuterRef("pk"), thread__resolved=False, thread__deleted_at__isnull=True
        )
        .order_by()
        .values("version")
        .annotate(open=Count("pk"))
        .values("open")
    )
    return versions.annotate(
        comment_count=Count("comments", filter=Q(comments__deleted_at__isnull=True)),
        own_open_thread_count=Count(
            "comments",
            filter=Q(
                comments__parent__isnull=True, comments__resolved=False, comments__deleted_at__isnull=True
            ),
        ),
        open_thread_count=F("own_open_thread_count") + Coalesce(Subquery(carried_open), Value(0)),
    )


# What people say or decide about a version; uploads and the pipeline's own events are not
# activity a person needs to read.
ACTIVITY_KINDS = [
    EventKind.COMMENT_CREATED,
    EventKind.COMMENT_UPDATED,
    EventKind.COMMENT_RESOLVED,
    EventKind.COMMENT_REOPENED,
    EventKind.COMMENT_DELETED,
    EventKind.VERSION_REVIEW_STATUS_CHANGED,
]
# What makes a version unread for the others: its conversation, and its arrival (a new take
# waits for the mentor's eyes), but an upload does not make it the shot's landing version.
UNREAD_KINDS = [*ACTIVITY_KINDS, EventKind.VERSION_CREATED]
_NEVER = datetime(1970, 1, 1, tzinfo=UTC)


def _version_activity(kinds: Sequence[str] = ACTIVITY_KINDS) -> QuerySet[Event]:
    """The events of the outer version of these kinds, found by the version id their payload carries."""
    return (
        Event.objects.filter(project=OuterRef("shot__project"), kind__in=kinds)
        .annotate(version_ref=Cast(KT("payload__version__id"), BigIntegerField()))
        .filter(version_ref=OuterRef("pk"))
    )


def _user_id(viewer: Viewer) -> int | None:
    return viewer.user_id if isinstance(viewer, Principal) else viewer.pk


def with_activity(versions: QuerySet[Version], viewer: Viewer) -> QuerySet[Version]:
    """Versions with `last_activity_at` (newest note or status change, or None) and `unread`
    (someone else uploaded it or did something there since the viewer last opened it)."""
    seen = VersionView.objects.filter(version=OuterRef("pk"), user_id=_user_id(viewer)).values("seen_at")[:1]
    return versions.annotate(
        last_activity_at=Subquery(_version_activity().order_by("-id").values("created_at")[:1]),
        seen_at=Coalesce(Subquery(seen), Value(_NEVER, output_field=DateTimeField())),
        unread=Exists(
            _version_activity(UNREAD_KINDS)
            .exclude(actor_id=_user_id(viewer))
            .filter(created_at__gt=OuterRef("seen_at"))
        ),
    )


def _waiting() -> Q:
    """Versions waiting for a worker: queued, or probed and queued again for the render.

    The render is a job of its own behind the others (tasks.render_version): until it starts
    (its first attempt), a probed version waits like a queued one, whatever its 2 %.
    """
    return Q(processing_state=ProcessingState.QUEUED) | Q(
        processing_state=ProcessingState.PROCESSING, processing_attempts=0
    )


def with_queue_position(versions: QuerySet[Version]) -> QuerySet[Version]:
    """Versions with `queue_position`: for one waiting for a worker, how many waiting versions (of
    any project, since they share the workers) were uploaded before it; None once a worker has it."""
    ahead = (
        Version.objects.filter(_waiting())
        .filter(
            Q(created_at__lt=OuterRef("created_at"))
            | Q(created_at=OuterRef("created_at"), pk__lt=OuterRef("pk"))
        )
        .order_by()
        .annotate(group=Value(1))
        .values("group")
        .annotate(ahead=Count("pk"))
        .values("ahead")
    )
    return versions.annotate(
        queue_position=Case(When(_waiting(), then=Coalesce(Subquery(ahead), Value(0))), default=None)
    )


def _shot_versions(viewer: Viewer) -> Prefetch:
    versions = with_queue_position(with_activity(with_comment_counts(Version.objects.all()), viewer))
    return Prefetch("versions", queryset=versions.order_by("number"), to_attr="version_list")


def landing_version(versions: Sequence[Version]) -> Version | None:
    """The version of a shot that matters now: the chosen take if there is one, else the one with
    the newest activity, else the latest.

    `versions` carry `last_activity_at` (with_activity) and are in number order.
    """
    selected = selected_version(versions)
    if selected is not None:
        return selected
    active = [version for version in versions if version.last_activity_at is not None]
    if active:
        return max(active, key=lambda version: (version.last_activity_at, version.number))
    return versions[-1] if versions else None


def selected_version(versions: Sequence[Version]) -> Version | None:
    """The shot's chosen take among its loaded `versions`, or None."""
    return next((version for version in versions if version.decision == Decision.SELECTED), None)


def shots_for(viewer: Viewer) -> QuerySet[Shot]:
    return _visible(Shot.objects.select_related("project"), viewer, "project")


def shot_overviews_for(viewer: Viewer) -> QuerySet[Shot]:
    """Shots with `version_list`: every version, in number order, with its counts and activity."""
    return shots_for(viewer).prefetch_related(_shot_versions(viewer))


def shot_with_code(*, project: Project, code: str, exclude: Shot | None = None) -> Shot | None:
    """The project's shot whose code is ``code`` in any case, compared as the unique constraint does."""
    shots = Shot.objects.annotate(code_key=Lower("code")).filter(project=project, code_key=Lower(Value(code)))
    if exclude is not None:
        shots = shots.exclude(pk=exclude.pk)
    return shots.order_by("id").first()


def _recommendations() -> Prefetch:
    return Prefetch("recommendations", queryset=Recommendation.objects.select_related("user"))


def versions_for(viewer: Viewer) -> QuerySet[Version]:
    return with_queue_position(
        _visible(Version.objects.select_related("shot__project", "uploaded_by"), viewer, "shot__project")
    ).prefetch_related(_recommendations())


def comments_for(viewer: Viewer) -> QuerySet[Comment]:
    return _visible(
        Comment.objects.select_related("version__shot__project", "author", "resolved_by", "guest"),
        viewer,
        "version__shot__project",
    ).prefetch_related("mentions")


def mentioned_users() -> Prefetch:
    """Mentioned users as a plain list, ``comment.mentioned_users``.

    Prefetching into the related manager instead builds a queryset per comment, which cost a
    third of the comment list's time (bench/README.md).
    """
    return Prefetch(
        "mentions", queryset=get_user_model().objects.only("id", "username"), to_attr="mentioned_users"
    )


def comment_threads(*, version: Version) -> QuerySet[Comment]:
    """The top-level comments of a version in review order: general notes first, then by frame,
    then notes carried from the previous take whose moment is past this clip's end.

    Threads carried onto the version (reviews.carry_over) are included, ordered by their mapped
    frame, with ``carried_link_id``, ``carried_frame``, ``carried_frame_end``, ``beyond_end``,
    ``carried_from_id`` and ``carried_from_number`` (None on the version's own threads), and
    ``origin_number``/``origin_rate_numerator``/``origin_rate_denominator`` (the version it was
    written on); ``attach_replies`` shows them at the mapped frame, keeping ``origin_frame``.
    The list's filters are ``filters.CommentFilter``, applied to this queryset.
    """
    return (
        Comment.objects.annotate(
            carry=FilteredRelation("carried_onto", condition=Q(carried_onto__version=version))
        )
        .filter(Q(version=version) | Q(carry__isnull=False), parent__isnull=True)
        .annotate(
            carried_frame=F("carry__frame"),
            carried_frame_end=F("carry__frame_end"),
            beyond_end=Coalesce(F("carry__beyond_end"), Value(False)),
            carried_link_id=F("carry__id"),
            carried_from_id=F("carry__from_version_id"),
            carried_from_number=F("carry__from_number"),
            # Where the thread was written, to say "at 00:00:03:12 of v1" (its own rate).
            origin_number=F("version__number"),
            origin_rate_numerator=Coalesce("version__fps_numerator", "version__shot__project__fps_numerator"),
            origin_rate_denominator=Coalesce(
                "version__fps_denominator", "version__shot__project__fps_denominator"
            ),
            review_frame=Case(When(carry__isnull=False, then=F("carry__frame")), default=F("frame")),
        )
        .select_related("author", "resolved_by", "guest")
        .prefetch_related(mentioned_users())
        .order_by("beyond_end", F("review_frame").asc(nulls_first=True), "created_at", "id")
    )


def _show_at_carried_anchor(comment: Comment, frame: int | None, frame_end: int | None) -> None:
    # Display only, never saved: a carried thread keeps its own anchor on its own version,
    # kept as ``origin_frame``/``origin_frame_end`` for "at 00:00:03:12 of v1".
    comment.origin_frame, comment.origin_frame_end = comment.frame, comment.frame_end
    comment.frame, comment.frame_end = frame, frame_end
    for reply in comment.replies:
        _show_at_carried_anchor(reply, frame, frame_end)


def attach_replies(threads: Iterable[Comment], *, internal: bool = True) -> list[Comment]:
    """Give each top-level comment its whole reply tree as ``.replies``, in one query.

    Replies of every depth carry ``thread_id`` of their top-level comment, so
    one query loads them all and the tree is put together here, each level in
    the order it was written.
    """
    threads = list(threads)
    by_id = {comment.pk: comment for comment in threads}
    for comment in threads:
        comment.replies = []
    replies = Comment.objects.filter(thread__in=list(by_id))
    if not internal:
        # For a guest (reviews/review_links.py): internal replies stay with the members.
        replies = replies.filter(internal=False, thread__internal=False)
    replies = (
        replies.select_related("author", "resolved_by", "guest")
        .prefetch_related(mentioned_users())
        .order_by("created_at", "id")
    )
    children: dict[int, list[Comment]] = defaultdict(list)
    for reply in replies:
        reply.replies = children[reply.pk]
        # Shown as internal while its thread is, whatever its own flag (CommentSerializer).
        reply.thread_internal = by_id[reply.thread_id].internal
        children[reply.parent_id].append(reply)
    for comment in threads:
        comment.replies = children[comment.pk]
        if getattr(comment, "carried_link_id", None) is not None:
            _show_at_carried_anchor(comment, comment.carried_frame, comment.carried_frame_end)
    return threads


def author_roles(project_id: int) -> dict[int, str]:
    """Each member's role in a project, to show beside their comments."""
    return dict(Membership.objects.filter(project_id=project_id).values_list("user_id", "role"))


def project_activity(
    *, project: Project, kinds: Iterable[str] = (), after: int | None = None
) -> QuerySet[Event]:
    """A project's events, newest first, optionally only some kinds or those after an id."""
    events = Event.objects.filter(project=project).select_related("actor").order_by("-id")
    kinds = list(kinds)
    if kinds:
        events = events.filter(kind__in=kinds)
    if after is not None:
        events = events.filter(id__gt=after)
    return events


def webhooks_of(project: Project) -> QuerySet[Webhook]:
    return Webhook.objects.filter(project=project).select_related("created_by")


def deliveries_of(webhook: Webhook) -> QuerySet[WebhookDelivery]:
    """A webhook's delivery log, newest first, each with its tries (one query for all of them)."""
    return WebhookDelivery.objects.filter(webhook=webhook).prefetch_related("attempt_log").order_by("-id")
