"""The server-side request forgery guard of fetch (and of the HTTP destinations, which
reach addresses an owner typed in).

A function may only reach public addresses. Every host is resolved first and every
address it resolves to is vetted (so names pointing at loopback, decimal or octal IP
forms such as http://2130706433/, and IPv4 hidden in IPv6 are all caught); the
connection is then pinned to the vetted address, and each redirect is vetted again.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket

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
