"""The pages of a review link: the gate at ``/r/<token>``, the playlist and the player for guests.

The gate asks for a name (an email if they like) and the passphrase if the link
has one, checked through ``guard_passphrase`` (429 after too many wrong tries from
one address at this link, or from everyone at this link; a link without one is never
locked), and counts joins per address and link (the ``guest-join`` rate). Then the browser holds a guest session and is sent to
``/guest/``: a fixed address, so nothing in the request can choose where it goes,
and the token is not repeated in any further URL. The token is never logged:
the gate does not log, and no error page repeats it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_safe

from reviews import review_links
from reviews.guest_session import guest_login, guest_of
from reviews.serializers.review_links import GuestJoinSerializer
from reviews.throttling import TooManyTries, guard_passphrase
from reviews.views.throttles import GuestJoinThrottle


def _gone(request: HttpRequest, status: int) -> HttpResponse:
    return render(request, "reviews/guest_gone.html", {"missing": status == 404}, status=status)


REFERRER_POLICY = "strict-origin"


def _no_referrer(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """``Referrer-Policy: strict-origin``: the page's own requests (styles, scripts, posters) and
    any link followed from it send at most the site's origin as ``Referer``, never the path
    (``/r/<token>``) that access logs would keep. Not ``no-referrer``: under it browsers send
    ``Origin: null`` on the gate's form and the guest API's writes, which Django's CSRF check
    refuses."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response["Referrer-Policy"] = REFERRER_POLICY
        return response

    return wrapper


def _unlogged(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Keep the token out of the logs: Django logs every 4xx answer with its path
    ("Not Found: /r/<token>") unless the response says it has been logged already."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response._has_been_logged = True  # type: ignore[attr-defined]
        return response

    return wrapper


_GATE_METHODS = ("GET", "HEAD", "POST")


@_unlogged
@_no_referrer
def gate(request: HttpRequest, token: str, rest: str = "") -> HttpResponse:
    """The gate at ``/r/<token>``; ``/r/<token>/`` and ``/r/<token>/<anything>`` answer the same,
    so a mistyped or mangled link never reaches Django's 404 logger with the token. Other methods
    get 405 here rather than from ``require_http_methods``, which logs the path."""
    if request.method not in _GATE_METHODS:
        return HttpResponseNotAllowed(_GATE_METHODS)
    return _gate(request, token)


@never_cache
@csrf_protect
def _gate(request: HttpRequest, token: str) -> HttpResponse:
    link = review_links.link_for_token(token)
    if link is None:
        return _gone(request, 404)
    if not link.is_live():
        return _gone(request, 410)
    context = {"link": link, "errors": {}, "values": {}}
    if request.method != "POST":
        return render(request, "reviews/guest_gate.html", context)
    form = GuestJoinSerializer(data=request.POST)
    if not form.is_valid():
        context.update(errors=form.errors, values=request.POST)
        return render(request, "reviews/guest_gate.html", context, status=400)
    data = form.validated_data
    try:
        # A link without a passphrase has nothing to guess: no count is read or kept for it.
        matched = not link.passphrase_hash or guard_passphrase(
            request,
            link_id=link.pk,
            check=lambda: review_links.passphrase_matches(link, data["passphrase"]),
        )
    except TooManyTries as error:
        return _too_many(request, context, "passphrase", error)
    if not matched:
        context.update(errors={"passphrase": ["That passphrase is not right."]}, values=request.POST)
        return render(request, "reviews/guest_gate.html", context, status=403)
    try:
        _allow_join(request, link.pk)
    except TooManyTries as error:
        return _too_many(request, context, "gate", error)
    guest = review_links.guest_join(link=link, name=data["name"].strip(), email=data["email"])
    guest_login(request, guest)
    return HttpResponseRedirect(reverse("guest-playlist"))


def _too_many(request: HttpRequest, context: dict, field: str, error: TooManyTries) -> HttpResponse:
    context.update(errors={field: [str(error)]}, values=request.POST)
    response = render(request, "reviews/guest_gate.html", context, status=429)
    response["Retry-After"] = str(error.wait)
    return response


def _allow_join(request: HttpRequest, link_id: int) -> None:
    """Count a join at this link from this address (``guest-join`` rate); TooManyTries past it.
    Only joins that would succeed are counted: wrong passphrases have their own count."""
    throttle = GuestJoinThrottle(link_id=link_id)
    if not throttle.allow_request(request, None):
        seconds = max(1, math.ceil(throttle.wait() or 1))
        raise TooManyTries(
            f"Too many guests joined this link from this address; try again in {seconds} seconds.",
            wait=seconds,
        )


def _live_guest(request: HttpRequest) -> HttpResponse | None:
    guest = guest_of(request)
    if guest is None:
        return render(request, "reviews/guest_gone.html", {"no_session": True}, status=403)
    if not guest.link.is_live():
        return _gone(request, 410)
    request.guest = guest
    return None


@_no_referrer
@never_cache
@require_safe
def playlist(request: HttpRequest) -> HttpResponse:
    refused = _live_guest(request)
    if refused is not None:
        return refused
    return render(request, "reviews/guest_playlist.html", {"guest": request.guest})


@_no_referrer
@never_cache
@require_safe
def guest_version(request: HttpRequest, version_id: int) -> HttpResponse:
    refused = _live_guest(request)
    if refused is not None:
        return refused
    version = review_links.guest_versions(request.guest.link).filter(pk=version_id).first()
    if version is None:
        return render(request, "reviews/guest_gone.html", {"missing": True}, status=404)
    return render(
        request,
        "reviews/guest_version.html",
        {
            "version_id": version.pk,
            "shot_id": version.shot_id,
            "project_id": version.shot.project_id,
            "guest": request.guest,
        },
    )


urlpatterns = [
    path("r/<str:token>", gate, name="review-link-gate"),
    # The same gate under a trailing slash or anything after it: never a logged 404 with the token.
    path("r/<str:token>/", gate),
    path("r/<str:token>/<path:rest>", gate),
    path("guest/", playlist, name="guest-playlist"),
    path("guest/versions/<int:version_id>/", guest_version, name="guest-version"),
]
