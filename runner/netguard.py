"""The server-side request forgery guard of fetch (and of the HTTP destinations, which
reach addresses an owner typed in), and the refusal of the product's own webhook URLs.

A function may only reach public addresses. Every host is resolved first and every
address it resolves to is vetted (so names pointing at loopback, decimal or octal IP
forms such as http://2130706433/, and IPv4 hidden in IPv6 are all caught); the
connection is then pinned to the vetted address, and each redirect is vetted again.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from urllib.parse import unquote, urlsplit

NAT64 = ipaddress.ip_network("64:ff9b::/96")
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class BlockedAddress(Exception):
    """The destination is loopback, private, link-local, multicast, metadata or reserved."""


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(address: IPAddress) -> bool:
    """True only for globally routable unicast addresses."""
    if isinstance(address, ipaddress.IPv6Address):
        inner = _embedded_ipv4(address)
        if inner is not None:
            return is_public(inner)
    return (
        address.is_global
        and not address.is_multicast
        and not address.is_unspecified
        and not address.is_reserved
        and not address.is_link_local
    )


async def resolve(host: str, port: int, *, allow_private: bool) -> str:
    """Resolve host and return the address to connect to, or raise BlockedAddress."""
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise OSError(f"getaddrinfo ENOTFOUND {host}: {exc.strerror}") from None
    return _vetted(host, infos, allow_private=allow_private)


def resolve_blocking(host: str, port: int, *, allow_private: bool) -> str:
    """resolve() for callers without an event loop (the deliver stage's HTTP
    destinations): the same vetting, the same errors."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise OSError(f"getaddrinfo ENOTFOUND {host}: {exc.strerror}") from None
    return _vetted(host, infos, allow_private=allow_private)


def _vetted(host: str, infos: list, *, allow_private: bool) -> str:
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    if not addresses:
        raise OSError(f"getaddrinfo ENOTFOUND {host}")
    if not allow_private:
        for address in addresses:
            if not is_public(address):
                # The host as the function wrote it, never the address it resolved
                # to: that would reveal the answers of an internal DNS.
                raise BlockedAddress(
                    f"refusing to connect to {host}, a private address: private, loopback, "
                    "link-local, multicast and metadata addresses are not reachable from "
                    "functions"
                )
    return str(addresses[0])


OWN_WEBHOOK_REFUSAL = "a function cannot send to its own webhook URLs"
# How long the addresses of the product's own hosts are trusted before a new lookup.
OWN_ADDRESSES_TTL_S = 60.0


class OwnWebhooks:
    """The product's own webhook URLs, which fetch refuses so that a function cannot
    feed itself (or another source) in a loop, as Segment refuses fn.segmentapis.com.

    Given as URL prefixes ("https://hooks.example.com/hooks/"). A request is one of
    them when its path, decoded and with its dot segments and repeated slashes resolved
    as a server would, starts with a prefix's path, and its host is the prefix's host
    or connects to one of the server's own addresses: those the prefixes' hosts resolve
    to, loopback, and this machine's. The port is not compared: a proxy may listen on
    any."""

    def __init__(self, prefixes: list[str] | tuple[str, ...]) -> None:
        self.prefixes = tuple(prefixes)
        parts = [urlsplit(prefix) for prefix in self.prefixes]
        self._hosts = {_host_name(p.hostname or "") for p in parts} - {""}
        self._paths = tuple(dict.fromkeys(_normal_path(p.path or "/") for p in parts))
        self._addresses: frozenset[str] = frozenset()
        self._looked_up_at = -OWN_ADDRESSES_TTL_S

    def names(self, host: str) -> bool:
        """Whether the host is one of the product's own, by name."""
        return _host_name(host) in self._hosts

    def path_matches(self, path: str) -> str | None:
        """The own webhook path this request path falls under, if any."""
        normal = _normal_path(path)
        return next((prefix for prefix in self._paths if normal.startswith(prefix)), None)

    async def refuses(self, host: str, path: str, address: str) -> str | None:
        """The own webhook path the request would reach (it is refused), else None."""
        prefix = self.path_matches(path)
        if prefix is None:
            return None
        if _host_name(host) in self._hosts:
            return prefix
        ip = ipaddress.ip_address(address)
        if ip.is_loopback or ip.is_unspecified or address in await self._own_addresses():
            return prefix
        return None

    async def _own_addresses(self) -> frozenset[str]:
        now = time.monotonic()
        if now - self._looked_up_at < OWN_ADDRESSES_TTL_S:
            return self._addresses
        loop = asyncio.get_running_loop()
        found: set[str] = set()
        for host in [*self._hosts, socket.gethostname()]:
            try:
                infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
            except (OSError, UnicodeError):
                continue  # a host that does not resolve has no address to compare
            found.update(info[4][0].split("%")[0] for info in infos)
        self._addresses, self._looked_up_at = frozenset(found), now
        return self._addresses


def _host_name(host: str) -> str:
    return host.lower().rstrip(".")


def _normal_path(path: str) -> str:
    """The path as a server routes it: percent-decoded, case folded, "//" and "." and
    ".." resolved (so "/x/../%68ooks//t" is "/hooks/t")."""
    decoded = unquote(path).lower()
    segments: list[str] = []
    for segment in decoded.split("/"):
        if segment == "..":
            if segments:
                segments.pop()
        elif segment not in ("", "."):
            segments.append(segment)
    trailing = "/" if decoded.endswith(("/", "/.", "/..")) and segments else ""
    return "/" + "/".join(segments) + trailing
