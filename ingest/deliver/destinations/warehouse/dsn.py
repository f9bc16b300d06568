"""What a PostgreSQL warehouse's DSN may say, and the parameters the product connects with.

A DSN is an owner's text, and libpq reads far more than the server to reach: options
that read files of this product's host (passfile, sslkey, sslcert, sslrootcert, sslcrl,
service), local sockets and the default host (the local socket), and, for everything a
DSN leaves out, the worker's own environment (PGPASSWORD, PGPASSFILE, ~/.pgpass). So a
DSN may set only the few options below; the host is resolved here and vetted as the
HTTP destinations' hosts are (runner.netguard), and the connection is pinned to the
vetted address (`hostaddr`), so a name cannot pass as public and then connect somewhere
private. Every other parameter libpq would fill from the environment is given here, and
the product's own database is refused even where private networks are allowed.
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
from dataclasses import dataclass

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from ingest.deliver.destinations.base import DeliveryError
from runner.netguard import BlockedAddress, resolve_blocking

ALLOWED = ("host", "port", "dbname", "user", "password", "sslmode", "connect_timeout")
ALLOWED += ("application_name",)  # only a label the server shows in pg_stat_activity
# verify-ca is left out: without a root certificate of the owner's (a file), only the
# system's certificate authorities can vouch for a server, and libpq takes them only
# with verify-full.
SSLMODES = ("disable", "allow", "prefer", "require", "verify-full")
DEFAULT_PORT = 5432
CONNECT_TIMEOUT_S = 10
APPLICATION_NAME = "functions-ide warehouse"
# A path no file can have (a file under a device): libpq treats it as absent and reads
# nothing, silently. /dev/null itself is a file: libpq warns on stderr at every connect
# that a passfile is not a plain file, and cannot read it as a certificate.
NOWHERE = os.path.join(os.devnull, "none")

# What the product gives for parameters libpq would otherwise take from the worker's
# environment or home: no password file, no client certificate or key, no root
# certificate or revocation list but the system's, no service file, no Kerberos.
_FIXED = {
    "passfile": NOWHERE,
    "sslcertmode": "disable",
    "sslcert": NOWHERE,
    "sslkey": NOWHERE,
    "sslcrl": NOWHERE,
    "sslcrldir": NOWHERE,
    "options": "",
    "requirepeer": "",
    "client_encoding": "UTF8",
    "gssencmode": "disable",
    "gssdelegation": "0",
    "require_auth": "!gss,!sspi",
}
# Parameters with an environment fallback and no value that reads nothing: they tune the
# protocol and choose no server, file or credential. `service` is one: any value names
# a service to look up, and every parameter a service could set is given explicitly.
LEFT_TO_LIBPQ = frozenset(
    {"service", "min_protocol_version", "max_protocol_version", "ssl_max_protocol_version"}
    | {"gsslib"}  # which GSSAPI library on Windows; GSSAPI is refused above
)


@dataclass(frozen=True)
class ProductDatabase:
    """The product's own PostgreSQL (settings.DATABASES["default"]), never a warehouse.
    host is "" or a socket path for a local socket."""

    host: str
    port: int
    name: str

    @classmethod
    def from_config(cls, config: dict) -> ProductDatabase | None:
        given = config.get("product_database")
        if not given:
            return None
        return cls(str(given.get("host") or ""), int(given.get("port") or DEFAULT_PORT),
                   str(given.get("name") or ""))  # fmt: skip

    def addresses(self) -> set[str]:
        if not self.host or self.host.startswith("/"):
            return {"127.0.0.1", "::1"}  # a local socket's server listens on loopback too
        try:
            infos = socket.getaddrinfo(self.host, self.port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            return {self.host}
        return {info[4][0].split("%")[0] for info in infos}


@dataclass(frozen=True)
class Dsn:
    """A DSN that says only what it may, read once; `parameters()` vets its host."""

    options: dict[str, str]

    @classmethod
    def parse(cls, dsn: str) -> Dsn:
        try:
            options = {k: str(v) for k, v in conninfo_to_dict(dsn).items() if v is not None}
        except psycopg.Error as exc:
            reason = redact(str(exc), dsn).strip().splitlines() or ["no reason given"]
            raise _refused(f"PostgreSQL refused the connection: {reason[0]}") from None
        if "hostaddr" in options:
            raise _refused(
                "The DSN may not set hostaddr: the product connects to the address its host "
                "resolves to, once it has checked that it is not a local or private one."
            )
        refused = sorted(set(options) - set(ALLOWED))
        if refused:
            raise _refused(
                f"The DSN may not set {', '.join(refused)}: a warehouse DSN may set only "
                f"{', '.join(ALLOWED)} (libpq reads the others from files or settings of "
                "this product's host)."
            )
        _vet_host(options.get("host", ""))
        _vet_values(options)
        return cls(options)

    @property
    def host(self) -> str:
        return self.options["host"]

    @property
    def port(self) -> int:
        return int(self.options.get("port") or DEFAULT_PORT)

    @property
    def dbname(self) -> str:
        return self.options.get("dbname") or self.options["user"]  # libpq's default

    def parameters(self, *, allow_private: bool, product: ProductDatabase | None = None) -> str:
        """The conninfo to connect with: pinned to the host's vetted address, with an
        explicit value for every parameter libpq would read from the environment."""
        address = self._vetted_address(allow_private)
        if product and self._is_product(address, product):
            raise _refused(
                f"{self.host}:{self.port}/{self.dbname} is this product's own database: "
                "a warehouse must be a database of its own."
            )
        return make_conninfo("", **self._explicit(address))

    def _vetted_address(self, allow_private: bool) -> str:
        try:
            return resolve_blocking(self.host, self.port, allow_private=allow_private)
        except BlockedAddress:
            raise _refused(
                f"{self.host} is a private address (loopback, private network, link-local "
                "or cloud metadata): warehouses may only be public databases unless the "
                "deployment allows private networks."
            ) from None
        except (OSError, UnicodeError):
            raise DeliveryError(
                f"Could not find the host {self.host}: the name does not resolve.",
                permanent=False,
            ) from None

    def _is_product(self, address: str, product: ProductDatabase) -> bool:
        if (self.port, self.dbname) != (product.port, product.name):
            return False
        known = product.addresses()
        return address in known or (bool(known & _LOOPBACK) and _is_this_host(address))

    def _explicit(self, address: str) -> dict[str, str]:
        given = self.options
        sslmode = given.get("sslmode") or "prefer"
        chosen = {
            **_FIXED,
            "host": self.host,  # kept for TLS: the name the certificate must show
            "hostaddr": address,
            "port": str(self.port),
            "dbname": self.dbname,
            "user": given["user"],
            "password": given.get("password") or "",  # not PGPASSWORD, nor a passfile's
            "sslmode": sslmode,
            "sslrootcert": "system" if sslmode == "verify-full" else NOWHERE,
            "connect_timeout": str(_timeout(given.get("connect_timeout"))),
            "application_name": given.get("application_name") or APPLICATION_NAME,
        }
        return {**_libpq_defaults(), **chosen}


_LOOPBACK = {"127.0.0.1", "::1"}


def _vet_host(host: str) -> None:
    if not host:
        raise _refused(
            "The DSN names no host: libpq would connect to the local socket of this "
            "product's host. Give the host name of the database server."
        )
    if host.startswith("/") or host.startswith("@"):
        raise _refused(
            f"The DSN names a local socket ({host}): warehouses are reached over the "
            "network. Give the host name of the database server."
        )
    if "," in host:
        raise _refused(
            "The DSN names several hosts: give one, which the product checks is not a "
            "local or private address before it connects."
        )


def _vet_values(options: dict[str, str]) -> None:
    if not options.get("user"):
        raise _refused("The DSN names no user: give the role to load as (user=…).")
    port = options.get("port") or str(DEFAULT_PORT)
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise _refused(f"The port {port} is not a port number (1 to 65535).")
    sslmode = options.get("sslmode") or "prefer"
    if sslmode not in SSLMODES:
        raise _refused(f"The sslmode {sslmode} is not one of {', '.join(SSLMODES)}.")
    timeout = options.get("connect_timeout") or "1"
    if not timeout.isdigit():
        raise _refused(f"The connect_timeout {timeout} is not a number of seconds.")


def _timeout(given: str | None) -> int:
    """The owner's connect_timeout, up to the product's: a worker waits no longer."""
    seconds = int(given or CONNECT_TIMEOUT_S)
    return min(seconds, CONNECT_TIMEOUT_S) if seconds > 0 else CONNECT_TIMEOUT_S


def _libpq_defaults() -> dict[str, str]:
    """libpq's own compiled default for each parameter it would otherwise read from an
    environment variable (PGSSLMODE, PGCHANNELBINDING, PGTARGETSESSIONATTRS…)."""
    return {
        option.keyword.decode(): option.compiled.decode()
        for option in psycopg.pq.Conninfo.get_defaults()
        if option.envvar and option.compiled is not None
    }


def _is_this_host(address: str) -> bool:
    """Whether address is one of this machine's own (a socket can be bound to it): a
    database on a local socket is reached by the machine's other addresses too."""
    family = socket.AF_INET6 if ipaddress.ip_address(address).version == 6 else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((address, 0))
        except OSError:
            return False
    return True


def _refused(message: str) -> DeliveryError:
    return DeliveryError(message, permanent=True)


def redact(text: str, dsn: str) -> str:
    """The text without the DSN's password, wherever libpq may have echoed it."""
    for password in sorted(_passwords(dsn), key=len, reverse=True):
        text = text.replace(password, "***")
    text = re.sub(r"(://[^:/@\s]*:)[^@\s]*@", r"\1***@", text)
    return re.sub(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", r"\1***", text, flags=re.I)


# Where a DSN that libpq cannot read holds its password: the user info of a URI (up to
# the @, spaces included: libpq quotes such a password back when it refuses it), a
# `password=` of its query, a `password=` keyword (quoted or not).
_WRITTEN_PASSWORDS = (
    re.compile(r"://[^:/@\s]*:([^@]*)@"),
    re.compile(r"[?&]password=([^&#]*)", re.I),
    re.compile(r"password\s*=\s*'((?:[^'\\]|\\.)*)'", re.I),
    re.compile(r"password\s*=\s*([^'\s]\S*)", re.I),
)


def _passwords(dsn: str) -> set[str]:
    try:
        password = conninfo_to_dict(dsn).get("password") or ""
    except psycopg.Error:
        return {m for pattern in _WRITTEN_PASSWORDS for m in pattern.findall(dsn) if m}
    return {password} if password else set()
