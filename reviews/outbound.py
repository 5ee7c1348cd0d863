"""Requests the service makes to addresses its users chose (webhooks), safe from server-side request forgery.

No Django here: callers pass the rules. A URL is refused unless every address its
host resolves to is public (not loopback, private, link-local, shared, reserved or
multicast) — unless ``allow_private`` — and the connection then goes to the address
that was checked, so a name that resolves differently a moment later (DNS rebinding)
cannot redirect it. Redirects are never followed.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3

# What a receiver may answer with that we keep: enough to show in a delivery log.
RESPONSE_EXCERPT_BYTES = 1024


class TargetRefused(ValueError):
    """The URL may not be called: a sentence saying why, fit to show to the person who gave it."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    # Host and port as written in the URL, without any user name: the Host header.
    netloc: str
    # The addresses the host resolved to, each checked.
    addresses: tuple[str, ...]


@dataclass(frozen=True)
class Answer:
    status: int
    excerpt: bytes


def is_public(address: str) -> bool:
    """Whether an IP address is reachable on the public internet (IPv4-mapped IPv6 judged as IPv4)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_url(url: str, *, require_https: bool) -> tuple[str, str, int, str, str]:
    """Scheme, host, port, path and Host header of a URL we may call; raises ``TargetRefused``."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise TargetRefused(f"The URL is not valid: {error}.") from None
    allowed = ("https",) if require_https else ("https", "http")
    if parts.scheme not in allowed:
        raise TargetRefused(f"The URL must start with {' or '.join(s + '://' for s in allowed)}.")
    if not parts.hostname:
        raise TargetRefused("The URL names no host.")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    netloc = parts.netloc.rsplit("@", 1)[-1]
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80), path, netloc


def resolve(url: str, *, require_https: bool, allow_private: bool) -> Target:
    """Check a URL and the addresses its host resolves to; raises ``TargetRefused``."""
    scheme, host, port, path, netloc = check_url(url, require_https=require_https)
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise TargetRefused(f"The host {host} could not be found.") from None
    addresses = tuple(dict.fromkeys(info[4][0] for info in found))
    if not allow_private:
        for address in addresses:
            if not is_public(address):
                raise TargetRefused(
                    f"The host {host} is a private, loopback or link-local address ({address}); "
                    "webhooks may only call public addresses."
                )
    return Target(scheme=scheme, host=host, port=port, path=path, netloc=netloc, addresses=addresses)


def post(target: Target, body: bytes, headers: dict[str, str], *, timeout: float) -> Answer:
    """POST ``body`` to the first checked address of ``target``; never follows a redirect.

    Raises ``urllib3.exceptions.HTTPError`` (refused, timed out, bad TLS) when no answer came.
    ``timeout`` is in seconds, for connecting and again for each read.
    """
    address = target.addresses[0]
    options = {"timeout": urllib3.Timeout(connect=timeout, read=timeout), "retries": False, "maxsize": 1}
    if target.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            address, target.port, server_hostname=target.host, assert_hostname=target.host, **options
        )
    else:
        pool = urllib3.HTTPConnectionPool(address, target.port, **options)
    with pool:
        response = pool.urlopen(
            "POST",
            target.path,
            body=body,
            headers={**headers, "Host": target.netloc},
            redirect=False,
            preload_content=False,
        )
        try:
            excerpt = response.read(RESPONSE_EXCERPT_BYTES)
        finally:
            response.release_conn()
    return Answer(status=response.status, excerpt=excerpt)
