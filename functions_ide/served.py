"""The address the product is served on, for the links it prints and shows.

PUBLIC_URL names it when set. Without it, `manage.py serve` uses its own address (the
host and port it listens on) and writes it to DATA_DIR/served-at; settings.py reads
that file when PUBLIC_URL is not set, so a management command run beside the server
(`addmember` printing an invite link) links to it, not to a default port where nothing
answers. Imported by settings.py: nothing of Django here.
"""

import ipaddress
import socket
from pathlib import Path

FILE_NAME = "served-at"
# A server listening on every address is reached on this machine through loopback.
_ANY = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}


def url_of(host: str, port: int) -> str:
    """http://host:port, an IPv6 address in brackets, a wildcard as loopback."""
    host = _ANY.get(host, host)
    try:
        bracketed = ipaddress.ip_address(host).version == 6
    except ValueError:
        bracketed = False
    return f"http://[{host}]:{port}" if bracketed else f"http://{host}:{port}"


def url_of_socket(fd: int) -> str:
    """The address of an already bound socket (serve --fd), which stays open."""
    bound = socket.socket(fileno=fd)
    try:
        host, port = bound.getsockname()[:2]
    finally:
        bound.detach()
    return url_of(host, port)


def record(data_dir: Path, url: str) -> None:
    """Best effort: a read-only DATA_DIR only costs the commands their links."""
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        (data_dir / FILE_NAME).write_text(url + "\n")
    except OSError:
        pass


def recorded(data_dir: Path) -> str:
    """The address the last `manage.py serve` of this DATA_DIR served on, or ""."""
    try:
        return (data_dir / FILE_NAME).read_text().strip().rstrip("/")
    except OSError:
        return ""
