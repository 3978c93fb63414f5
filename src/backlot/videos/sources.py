"""External video URLs (seed 001's `file_path`): only public http(s) hosts.

A URL the service fetches on a user's behalf must not reach the service's own network
(SSRF): every address its host resolves to must be public, checked when the URL is
registered and again before each fetch (the answer of DNS may change). Redirects are
not followed. Hosts named in BACKLOT_VIDEO_URL_ALLOWED_HOSTS skip the address check
(an internal media server the operator trusts).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Collection
from urllib.parse import urlsplit

import anyio

from backlot.core.errors import ProblemError


def _refused(detail: str, code: str = "url_not_allowed") -> ProblemError:
    return ProblemError(422, code, detail)


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


async def check_public_url(url: str, allowed_hosts: Collection[str]) -> str:
    """`url` if it is an http(s) URL of a public host, else a 422 problem."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise _refused("The URL cannot be parsed.", "invalid_url") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _refused("Only http:// and https:// URLs with a host are accepted.", "invalid_url")
    if parts.username or parts.password:
        raise _refused("URLs with credentials are not accepted.", "invalid_url")
    host = parts.hostname
    if host in allowed_hosts:
        return url
    try:
        infos = await anyio.getaddrinfo(
            host, port or (443 if parts.scheme == "https" else 80), type=socket.SOCK_STREAM
        )
    except OSError as exc:
        raise _refused(f"The host {host} does not resolve.", "unresolvable_host") from exc
    addresses = {str(info[4][0]) for info in infos}
    if not addresses or not all(_public(address) for address in addresses):
        raise _refused(
            f"{host} is not a public address (loopback, private, link-local and reserved "
            "addresses are refused)."
        )
    return url
