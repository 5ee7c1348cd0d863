"""Every read that matters, built in one place.

Each ``*_for(who)`` queryset holds only what a user or principal may see (a
non-member gets nothing, so the API answers 404) and carries ``my_role``, their
role in the row's project, from which ``principal_in`` builds the principal
that ``permissions`` is asked with.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, F, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Lower

from reviews.accounts import normalize_username
from reviews.models import Comment, Event, Membership, Project, Shot, Version
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
    yet resolved), what a shot card shows of the conversation."""
    # A deleted note kept for its replies is not part of the conversation any more.
    return versions.annotate(
        comment_count=Count("comments", filter=Q(comments__deleted_at__isnull=True)),
        open_thread_count=Count(
            "comments",
            filter=Q(
                comments__parent__isnull=True, comments__resolved=False, comments__deleted_at__isnull=True
            ),
        ),
    )


def _latest_versions() -> Prefetch:
    latest = Version.objects.filter(
        pk=Subquery(Version.objects.filter(shot=OuterRef("shot")).order_by("-number").values("pk")[:1])
    ).select_related("uploaded_by")
    return Prefetch("versions", queryset=with_comment_counts(latest), to_attr="latest_versions")


def shots_for(viewer: Viewer) -> QuerySet[Shot]:
    return _visible(Shot.objects.select_related("project"), viewer, "project").prefetch_related(
        _latest_versions()
    )


def shot_with_code(*, project: Project, code: str, exclude: Shot | None = None) -> Shot | None:
    """The project's shot whose code is ``code`` in any case, compared as the unique constraint does."""
    shots = Shot.objects.annotate(code_key=Lower("code")).filter(project=project, code_key=Lower(Value(code)))
    if exclude is not None:
        shots = shots.exclude(pk=exclude.pk)
    return shots.order_by("id").first()


def versions_for(viewer: Viewer) -> QuerySet[Version]:
    return _visible(Version.objects.select_related("shot__project", "uploaded_by"), viewer, "shot__project")


def comments_for(viewer: Viewer) -> QuerySet[Comment]:
    return _visible(
        Comment.objects.select_related("version__shot__project", "author", "resolved_by"),
        viewer,
        "version__shot__project",
    ).prefetch_related("mentions")


def _mentioned_users() -> Prefetch:
    """Mentioned users as a plain list, ``comment.mentioned_users``.

    Prefetching into the related manager instead builds a queryset per comment, which cost a
    third of the comment list's time (bench/README.md).
    """
    return Prefetch(
        "mentions", queryset=get_user_model().objects.only("id", "username"), to_attr="mentioned_users"
    )


def comment_threads(*, version: Version) -> QuerySet[Comment]:
    """The top-level comments of a version in review order: general notes first, then by frame.

    The list's filters (resolved, author) are ``filters.CommentFilter``, applied to this queryset.
    """
    return (
        Comment.objects.filter(version=version, parent__isnull=True)
        .select_related("author", "resolved_by")
        .prefetch_related(_mentioned_users())
        .order_by(F("frame").asc(nulls_first=True), "created_at", "id")
    )


def attach_replies(threads: Iterable[Comment]) -> list[Comment]:
    """Give each top-level comment its whole reply tree as ``.replies``, in one query.

    Replies of every depth carry ``thread_id`` of their top-level comment, so
    one query loads them all and the tree is put together here, each level in
    the order it was written.
    """
    threads = list(threads)
    by_id = {comment.pk: comment for comment in threads}
    for comment in threads:
        comment.replies = []
    replies = (
        Comment.objects.filter(thread__in=list(by_id))
        .select_related("author", "resolved_by")
        .prefetch_related(_mentioned_users())
        .order_by("created_at", "id")
    )
    children: dict[int, list[Comment]] = defaultdict(list)
    for reply in replies:
        reply.replies = children[reply.pk]
        children[reply.parent_id].append(reply)
    for comment in threads:
        comment.replies = children[comment.pk]
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
