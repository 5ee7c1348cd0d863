"""The compare page, ``/review/compare/?a=ID&b=ID``: two versions of one shot, in sync.

Like the other pages it is a shell: the view checks the two versions may be seen
together and hands their ids to the template; the picture, the notes and the
transport come from the public API (``static/reviews/js/compare.js``). Where the
page opens (``frame``, ``tc``, ``t``, ``lead``, ``mode``) is read by the script,
so a link copied from the page reopens it as it was.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from reviews import selectors
from reviews.models import Version


class CompareRefused(Exception):
    """Two versions that cannot be compared; the message is the sentence the page shows."""


@dataclass(frozen=True)
class ComparePair:
    a: Version
    b: Version


def _version_id(value: str | None, name: str) -> int:
    if value is None or value == "":
        raise CompareRefused(f"Choose two versions to compare: the link has no “{name}”.")
    if not value.isascii() or not value.isdigit() or len(value) > 18:
        raise CompareRefused(
            f"“{name}” must be the id of a version (a whole number, as in /review/versions/<id>/), not “{value[:40]}”."
        )
    return int(value)


def compare_pair_for(viewer: selectors.Viewer, *, a: str | None, b: str | None) -> ComparePair | None:
    """The versions ``a`` and ``b`` (ids as sent in the query string) for ``viewer``.

    Returns None when either is not a version the viewer may see (the page's 404,
    which does not say which); raises CompareRefused for a missing or malformed id,
    the same version twice, or versions of two different shots.
    """
    a_id, b_id = _version_id(a, "a"), _version_id(b, "b")
    if a_id == b_id:
        raise CompareRefused("Choose two different versions to compare.")
    versions = {version.pk: version for version in selectors.versions_for(viewer).filter(pk__in=[a_id, b_id])}
    if len(versions) != 2:
        return None
    pair = ComparePair(a=versions[a_id], b=versions[b_id])
    if pair.a.shot_id != pair.b.shot_id:
        raise CompareRefused(
            f"v{pair.a.number} of {pair.a.shot.code} and v{pair.b.number} of {pair.b.shot.code} are "
            "versions of different shots; only versions of the same shot can be compared."
        )
    return pair


@require_safe
@login_required
def compare_page(request: HttpRequest) -> HttpResponse:
    try:
        pair = compare_pair_for(request.user, a=request.GET.get("a"), b=request.GET.get("b"))
    except CompareRefused as refused:
        return render(request, "reviews/compare_refused.html", {"reason": str(refused)}, status=400)
    if pair is None:
        return render(request, "reviews/not_found.html", status=404)
    shot = pair.a.shot
    return render(
        request,
        "reviews/compare.html",
        {
            "a_id": pair.a.pk,
            "b_id": pair.b.pk,
            "shot_id": shot.pk,
            "project_id": shot.project_id,
        },
    )
