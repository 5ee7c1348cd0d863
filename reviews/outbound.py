"""Requests the service makes to addresses its users chose (webhooks), safe from server-side request forgery.

No Django here: callers pass the rules. A URL is refused unless every address its
host resolves to is public: not loopback, private, link-local (the cloud metadata
address), shared, unspecified, reserved or multicast, nor an IPv6 address that carries
an IPv4 one (mapped, compatible, NAT64, 6to4, Teredo), judged by what it carries.
``allow_private`` lets loopback and private addresses through, never the others. The
connection then goes to the address that was checked, so a name that resolves
differently a moment later (DNS rebinding) cannot redirect it; redirects are never
followed, and the whole exchange has one deadline, so a receiver that trickles its
answer a byte at a time cannot hold the caller.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import socket
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3
import urllib3.connection

# What a request raises when no well-formed answer came: refused, cut off, timed out, bad TLS, garbage.
NO_ANSWER = (urllib3.exceptions.HTTPError, http.client.HTTPException, OSError)
# What a receiver may answer with that we keep: enough to show in a delivery log.
RESPONSE_EXCERPT_BYTES = 1024


class TargetRefused(ValueError):
    """The URL may not be called: a sentence saying why, fit to show to the person who gave it.

    ``lasting``: trying again cannot help (the URL's form, a refused address); False for a host
    that could not be found, which may be found later.
    """

    def __init__(self, message: str, *, lasting: bool = True) -> None:
        super().__init__(message)
        self.lasting = lasting


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


# IPv6 ranges that carry an IPv4 address: NAT64 (RFC 6052, RFC 8215) and IPv4-compatible (deprecated).
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
# Cloud metadata services on addresses that are otherwise merely private.
_METADATA = {ipaddress.ip_address("fd00:ec2::254")}


def _carried(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one stands for, if it is one of the forms that carry one."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if any(ip in network for network in _NAT64) or (ip in _IPV4_COMPATIBLE and int(ip) > 1):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_allowed(address: str, *, allow_private: bool = False) -> bool:
    """Whether requests may go to an IP address: a public one, or with ``allow_private`` a
    loopback or private one too. Link-local, unspecified, multicast and reserved never."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and (carried := _carried(ip)) is not None:
        ip = carried
    if ip in _METADATA or ip.is_link_local or ip.is_unspecified or ip.is_multicast or ip.is_reserved:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local:
        return False
    if ip.is_global:
        return True
    return allow_private and (ip.is_private or ip.is_loopback)


def is_public(address: str) -> bool:
    """Whether an IP address is reachable on the public internet (see ``is_allowed``)."""
    return is_allowed(address)


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
    if parts.username is not None or parts.password is not None:
        raise TargetRefused("The URL may not hold a user name or password; check the signature instead.")
    if port == 0:
        raise TargetRefused("The URL's port must be from 1 to 65535.")
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
        raise TargetRefused(f"The host {host} could not be found.", lasting=False) from None
    addresses = tuple(dict.fromkeys(info[4][0] for info in found))
    for address in addresses:
        if not is_allowed(address, allow_private=allow_private):
            raise TargetRefused(
                f"The host {host} is a private, loopback or link-local address ({address}); "
                "webhooks may only call public addresses."
            )
    return Target(scheme=scheme, host=host, port=port, path=path, netloc=netloc, addresses=addresses)


def post(target: Target, body: bytes, headers: dict[str, str], *, timeout: float) -> Answer:
    """POST ``body`` to the first checked address of ``target``; never follows a redirect.

    ``timeout`` (seconds) bounds the whole exchange, from connecting to the last byte of the
    answer's excerpt: past it the socket is shut, whatever the receiver is still sending.
    Raises one of ``NO_ANSWER`` when no answer came in time (``TimeoutError`` past the deadline).
    """
    address = target.addresses[0]
    if target.scheme == "https":
        connection = urllib3.connection.HTTPSConnection(
            address, target.port, timeout=timeout, server_hostname=target.host, assert_hostname=target.host
        )
    else:
        connection = urllib3.connection.HTTPConnection(address, target.port, timeout=timeout)
    expired = threading.Event()
    # The socket is kept here: http.client drops ``connection.sock`` once it has read a head that
    # says the connection will close, while the answer's body is still read from that socket.
    opened: list[socket.socket] = []

    def cut_off() -> None:
        expired.set()
        for sock in opened:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    timer = threading.Timer(timeout, cut_off)
    timer.start()
    try:
        connection.connect()
        opened.append(connection.sock)
        if expired.is_set():  # the deadline passed while connecting, before the socket was kept
            cut_off()
        connection.request("POST", target.path, body=body, headers={**headers, "Host": target.netloc})
        response = connection.getresponse()
        excerpt = response.read(RESPONSE_EXCERPT_BYTES)
    except NO_ANSWER as error:
        if expired.is_set():
            raise TimeoutError(f"no complete answer within {timeout:g} s") from error
        raise
    finally:
        timer.cancel()
        connection.close()
    if expired.is_set():
        raise TimeoutError(f"no complete answer within {timeout:g} s")
    return Answer(status=response.status, excerpt=excerpt)
