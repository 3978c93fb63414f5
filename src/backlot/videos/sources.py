"""External video URLs (seed 001's `file_path`): only public http(s) hosts.

A URL the service fetches on a user's behalf must not reach the service's own network
(SSRF): every address its host resolves to must be public, checked when the URL is
registered and again before each fetch, which then connects to the address that was
checked (DNS may answer differently the second time). Redirects are not followed.
`host` or `host:port` entries of BACKLOT_VIDEO_URL_ALLOWED_HOSTS skip the address check
(an internal media server the operator trusts), on that port only.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Collection
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

import anyio

from backlot.core.errors import ProblemError

DEFAULT_PORTS = {"http": 80, "https": 443}
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# IPv6 ranges that carry an IPv4 address in their last 32 bits (RFC 6052 NAT64, the
# deprecated IPv4-compatible form), and ones no public host lives in that Python's
# `is_global` still calls global.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
_NOT_GLOBAL = (
    ipaddress.IPv6Network("64:ff9b:1::/48"),  # local-use NAT64 (RFC 8215)
    ipaddress.IPv6Network("fec0::/10"),  # site-local (deprecated, still routed by some)
)


def _refused(detail: str, code: str = "url_not_allowed") -> ProblemError:
    return ProblemError(422, code, detail)


def embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address reaches through: mapped, NAT64, 6to4,
    IPv4-compatible, Teredo (server and client)."""
    if ip.ipv4_mapped is not None:
        return [ip.ipv4_mapped]
    if ip.sixtofour is not None:
        return [ip.sixtofour]
    if ip.teredo is not None:
        return list(ip.teredo)
    if ip in _NAT64 or ip in _IPV4_COMPATIBLE:
        return [ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)]
    return []


def _global(ip: IPAddress) -> bool:
    return ip.is_global and not ip.is_multicast and not ip.is_reserved


def is_public(address: str) -> bool:
    """True only for an address that is global, and whose embedded IPv4 address (if
    any) is global too."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv4Address):
        return _global(ip)
    if any(ip in network for network in _NOT_GLOBAL) or ip.is_site_local:
        return False
    inner = embedded_ipv4(ip)
    if inner:
        # The wrapper's own flags say nothing about where the packets end up.
        return all(_global(v4) for v4 in inner)
    return _global(ip)


def _host_port(entry: str, default: int) -> tuple[str, int]:
    """An allow-list entry `host`, `host:port`, `[v6]` or `[v6]:port`."""
    entry = entry.strip().lower()
    if entry.startswith("["):
        host, _, rest = entry[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") else default
    if entry.count(":") == 1:
        host, port = entry.split(":")
        return host, int(port)
    return entry, default


def is_allowed(parts: SplitResult, port: int, allowed_hosts: Collection[str]) -> bool:
    host = (parts.hostname or "").lower()
    default = DEFAULT_PORTS[parts.scheme]
    for entry in allowed_hosts:
        try:
            if _host_port(entry, default) == (host, port):
                return True
        except ValueError:  # a malformed entry allows nothing
            continue
    return False


@dataclass(frozen=True)
class CheckedUrl:
    url: str
    host: str
    port: int
    # The public address the fetch must connect to; None for an allow-listed host.
    address: str | None


def _parse(url: str) -> tuple[SplitResult, int]:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise _refused("The URL cannot be parsed.", "invalid_url") from exc
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        raise _refused("Only http:// and https:// URLs with a host are accepted.", "invalid_url")
    if parts.username or parts.password:
        raise _refused("URLs with credentials are not accepted.", "invalid_url")
    return parts, port or DEFAULT_PORTS[parts.scheme]


async def resolve_public_url(url: str, allowed_hosts: Collection[str]) -> CheckedUrl:
    """The URL with the public address to fetch it from, or a 422 problem."""
    parts, port = _parse(url)
    host = parts.hostname
    assert host is not None
    if is_allowed(parts, port, allowed_hosts):
        return CheckedUrl(url, host, port, None)
    try:
        infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise _refused(f"The host {host} does not resolve.", "unresolvable_host") from exc
    addresses = [str(info[4][0]) for info in infos]
    if not addresses or not all(is_public(address) for address in addresses):
        raise _refused(
            f"{host} is not a public address (loopback, private, link-local, reserved and "
            "IPv6 forms of such IPv4 addresses are refused)."
        )
    return CheckedUrl(url, host, port, addresses[0])


async def check_public_url(url: str, allowed_hosts: Collection[str]) -> str:
    """`url` if it is an http(s) URL of a public host, else a 422 problem."""
    return (await resolve_public_url(url, allowed_hosts)).url
