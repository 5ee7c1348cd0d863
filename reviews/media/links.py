"""Generated media behind signed, expiring links.

A version's ``proxy_url`` and friends are minted for a member when they read
the version; the link names the version, the kind of file and the output set,
signed with the secret key, and the member it was minted for. Guessing or
editing one gets a 404; a link stops working after ``MEDIA_URL_MAX_AGE``, or
at once when its member leaves the project. Browsers' ``<video>`` and ``<img>``
can use the links without headers, and so can a script or a player.

A version's uploaded original has links of the same kind (``ORIGINAL``), minted
only for those ``permissions`` lets download it (``Action.DOWNLOAD_ORIGINAL``) and
checked against that rule again on every request; they answer with the file as
an attachment under its original name (a guest's: a name made of the shot and
version, as guests never see the uploader's file name).

Bytes are read through the storage (reviews.media.storage) and sent with HTTP
range support (a video element seeks with it), or in production handed to nginx
with ``X-Accel-Redirect``.
"""

from __future__ import annotations

import mimetypes
import os
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import BinaryIO

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.db.models import Exists, OuterRef
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse

from reviews import permissions
from reviews.bounded import RangeNotSatisfiable, read_byte_range
from reviews.media import storage
from reviews.media.filenames import attachment_header, download_name
from reviews.media.webvtt import Filmstrip, thumbnails_vtt
from reviews.models import Membership, ProcessingState, ReviewLinkGuest, Version
from reviews.permissions import Action, Principal

_SALT = "reviewsvc.media"
# Links minted within one window carry the same timestamp, so a page that refreshes its
# data every few seconds gets the same poster URL and the browser's cache serves it.
# A link then lives between MEDIA_URL_MAX_AGE minus the window and MEDIA_URL_MAX_AGE.
_LINK_WINDOW_SECONDS = 600
# The kind of link that serves a version's uploaded original, beside storage.FILE_NAMES' kinds.
ORIGINAL = "original"


def _window_start() -> int:
    window = max(1, min(_LINK_WINDOW_SECONDS, settings.MEDIA_URL_MAX_AGE // 2))
    return int(time.time()) // window * window


class _WindowedSigner(signing.TimestampSigner):
    """Django's timestamp signer with the time rounded down to the start of its window."""

    def timestamp(self) -> str:
        return signing.b62_encode(_window_start())


def link_expires_at() -> datetime:
    """When a link minted now stops working (UTC): MEDIA_URL_MAX_AGE after its window began."""
    return datetime.fromtimestamp(_window_start() + settings.MEDIA_URL_MAX_AGE, tz=UTC)


def _link_filename(version: Version, kind: str) -> str:
    if kind == ORIGINAL:
        return storage.original_link_name(version.file.name)
    return storage.FILE_NAMES[kind]


def signed_url(
    version: Version, kind: str, *, user_id: int | None = None, guest_id: int | None = None
) -> str:
    """The path of a signed link to the version's file of `kind` (a key of storage.FILE_NAMES, or
    ORIGINAL), for the user ``user_id``: it stops working when they leave the project; or for the
    guest ``guest_id`` of a review link: it stops working when the link is revoked or expires, or
    no longer shows the version (or, for ORIGINAL, no longer allows downloading it).

    Minting is no permission check: callers ask ``permissions`` first (for ORIGINAL,
    ``Action.DOWNLOAD_ORIGINAL``); ``resolve`` asks again on every request."""
    holder = {"g": guest_id} if guest_id is not None else {"u": user_id}
    # An original outlives reprocessing, so its link does not name a run's folder.
    folder = {} if kind == ORIGINAL else {"d": version.outputs_dir}
    token = _WindowedSigner(salt=_SALT).sign_object(
        {"v": version.pk, "k": kind, **folder, **holder}, compress=True
    )
    return reverse("media-file", kwargs={"token": token, "filename": _link_filename(version, kind)})


def resolve(token: str, filename: str) -> tuple[Version, str, dict[str, int]]:
    """The version, kind and holder (``{"u": user id}`` or ``{"g": guest id}``) a link stands
    for, or Http404 for a bad, stale or expired link, or one whose holder may no longer see the
    version."""
    try:
        claim = signing.loads(token, salt=_SALT, max_age=settings.MEDIA_URL_MAX_AGE)
    except signing.BadSignature:
        raise Http404(
            "This media link is invalid or has expired; reload the version to get a new one."
        ) from None
    kind = claim.get("k")
    if kind != ORIGINAL and storage.FILE_NAMES.get(kind) != filename:
        raise Http404("This media link is invalid.")
    guest_id = claim.get("g")
    if isinstance(guest_id, int):
        version, holder = _resolve_for_guest(claim, kind, guest_id)
    else:
        version, holder = _resolve_for_member(claim, kind)
    if kind == ORIGINAL and _link_filename(version, kind) != filename:
        raise Http404("This media link is invalid.")
    return version, kind, holder


def _still_there(kind: str, claim: dict) -> dict:
    """The filter a link's version must pass beside who may see it: a rendered file belongs to
    the published run the link names; an original is there from the upload on, whatever the
    processing state."""
    if kind == ORIGINAL:
        return {}
    return {"processing_state": ProcessingState.READY, "outputs_dir": claim.get("d")}


def _resolve_for_member(claim: dict, kind: str) -> tuple[Version, dict[str, int]]:
    user_id = claim.get("u")
    if not isinstance(user_id, int):
        raise Http404("This media link is invalid.")
    # Checked on every request, in the same query that finds the version, so a member
    # removed from the project (or a deactivated account), or whose new role may not
    # download originals, loses their links at once. It costs one indexed EXISTS per
    # request (README.md, "Serving media").
    action = Action.DOWNLOAD_ORIGINAL if kind == ORIGINAL else Action.READ
    may_see = Exists(
        Membership.objects.filter(
            project_id=OuterRef("shot__project_id"),
            user_id=user_id,
            user__is_active=True,
            role__in=permissions.roles_that_can(action),
        )
    ) | Exists(get_user_model().objects.filter(pk=user_id, is_staff=True, is_active=True))
    version = (
        Version.objects.filter(may_see, pk=claim.get("v"), **_still_there(kind, claim))
        .select_related("shot")
        .first()
    )
    if version is None:
        raise Http404(
            "This media is no longer available to you; the version was reprocessed or deleted, "
            "or you are no longer a member of its project."
        )
    return version, {"u": user_id}


def _resolve_for_guest(claim: dict, kind: str, guest_id: int) -> tuple[Version, dict[str, int]]:
    """A guest's link is checked against its review link's state now, on every request: revoked,
    expired, or no longer showing the version (an original: or no longer allowing its download),
    and it is a 404."""
    from reviews.review_links import guest_versions

    guest = ReviewLinkGuest.objects.select_related("link").filter(pk=guest_id).first()
    version = None
    if guest is not None and (
        kind != ORIGINAL or permissions.can(Principal.for_guest(guest), Action.DOWNLOAD_ORIGINAL)
    ):
        version = guest_versions(guest.link).filter(pk=claim.get("v"), **_still_there(kind, claim)).first()
    if version is None:
        raise Http404(
            "This media is no longer available: the review link was revoked or has expired, "
            "or no longer shows this version or lets you download it."
        )
    return version, {"g": guest_id}


def original_download_name(version: Version, *, guest: bool) -> str:
    """The name the original is saved under: the uploader's file name, made safe
    (reviews.media.filenames); for a guest, who never sees that name (it may carry a prompt or a
    seed), ``<shot code>_v<number><suffix>``, e.g. ``SH010_v003.mov``."""
    suffix = PurePosixPath(version.file.name).suffix
    neutral = f"{version.shot.code}_v{version.number:03d}{suffix}"
    if guest:
        return download_name(neutral, fallback=f"original{suffix}")
    return download_name(version.original_filename, fallback=neutral)


def original_content_type(version: Version) -> str:
    """The media type the original is served as, from its stored suffix (``video/quicktime``):
    a video type or GIF, else ``application/octet-stream`` (a name ending ``.exe`` or ``.html``
    is served as bytes, never as a program or a page)."""
    guessed = mimetypes.guess_type(version.file.name)[0] or ""
    return guessed if guessed.startswith("video/") or guessed == "image/gif" else "application/octet-stream"


def original_available(version: Version) -> bool:
    """Whether the version's uploaded original is in storage (a link to a missing one is no use)."""
    return storage.original_exists(version.file.name)


def file_response(
    request: HttpRequest, version: Version, kind: str, *, holder: dict[str, int] | None = None
) -> HttpResponse:
    """The version's file of `kind`, whole or the one byte range the request asks for (206, or
    416 past the end); 404 if the file is gone. An ORIGINAL is an attachment named by
    ``original_download_name`` for the link's `holder`; the rest are shown inline."""
    if kind == ORIGINAL:
        name = version.file.name
        content_type = original_content_type(version)
        disposition = attachment_header(original_download_name(version, guest="g" in (holder or {})))
        missing = "The original file of this version is missing from the storage."
    else:
        name = storage.output_name(version.outputs_dir, kind)
        content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        disposition = f'inline; filename="{_download_name(version, kind)}"'
        missing = "This media file is missing; reprocess the version."
    if kind == ORIGINAL and not storage.is_original(name):
        raise Http404(missing)
    if settings.MEDIA_ACCEL_REDIRECT_PREFIX:
        # nginx serves MEDIA_ROOT at this prefix, where storage names are paths; it keeps the
        # Content-Type and Content-Disposition given here.
        response = HttpResponse()
        response["X-Accel-Redirect"] = settings.MEDIA_ACCEL_REDIRECT_PREFIX.rstrip("/") + "/" + name
        response["Content-Type"] = content_type
        if kind == ORIGINAL:
            response["Content-Disposition"] = disposition
        return response
    try:
        handle, size = storage.open_original(name) if kind == ORIGINAL else storage.open_output(name)
    except FileNotFoundError:
        raise Http404(missing) from None
    try:
        first, last = _requested_range(request.headers.get("Range", ""), size)
    except RangeNotSatisfiable as error:
        handle.close()
        response = JsonResponse(
            {"detail": f"{error} Ask for a range within bytes 0 to {size - 1}, or for no range at all."},
            status=416,
        )
        response["Content-Range"] = f"bytes */{size}"
        return response
    if first is None:
        response = FileResponse(handle, content_type=content_type)
        response["Content-Length"] = str(size)
    else:
        handle.seek(first)
        response = FileResponse(_limited(handle, last - first + 1), content_type=content_type, status=206)
        response["Content-Range"] = f"bytes {first}-{last}/{size}"
        response["Content-Length"] = str(last - first + 1)
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = "private, max-age=3600"
    response["Content-Disposition"] = disposition
    return response


def _requested_range(header: str, size: int) -> tuple[int | None, int]:
    """The first and last byte to send, or (None, size - 1) for the whole file.

    Read by reviews.bounded, which never converts more digits than a file size has
    and raises RangeNotSatisfiable for a range starting past the end.
    """
    requested = read_byte_range(header, size)
    return (None, size - 1) if requested is None else requested


def _limited(handle: BinaryIO, length: int, chunk: int = 256 * 1024) -> Iterator[bytes]:
    try:
        while length > 0:
            data = handle.read(min(chunk, length))
            if not data:
                return
            length -= len(data)
            yield data
    finally:
        handle.close()


def _download_name(version: Version, kind: str) -> str:
    stem = f"{version.shot.code}_v{version.number:03d}_{kind}"
    return re.sub(r"[^A-Za-z0-9_.-]", "_", stem) + os.path.splitext(storage.FILE_NAMES[kind])[1]


def thumbnails_response(version: Version, *, holder: dict[str, int]) -> HttpResponse:
    """The WebVTT thumbnails track, made per request so its sprite link is freshly signed."""
    geometry = Filmstrip(**{field: version.filmstrip[field] for field in Filmstrip.__dataclass_fields__})
    track = thumbnails_vtt(
        geometry,
        duration=version.duration or 0,
        sprite_url=signed_url(version, "filmstrip", user_id=holder.get("u"), guest_id=holder.get("g")),
    )
    response = HttpResponse(track, content_type="text/vtt; charset=utf-8")
    response["Cache-Control"] = "private, max-age=600"
    return response
