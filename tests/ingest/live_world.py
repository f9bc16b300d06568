"""The world of the catcher and live debugger tests, built with tests.factories: a
workspace "acme" with a user per role, another workspace "globex" whose owner is the
stranger (and which has a source of the same slug), a user of no workspace, and a
function of acme with a source. One call, so async tests can build it in the thread
their consumers use for the database."""

import gc
from dataclasses import dataclass

from channels.db import database_sync_to_async
from django.db import connections
from django.test import Client

from catalog.models import Function, Role, Source, Workspace
from tests.factories import SourceFactory, UserFactory, WorkspaceFactory, deployed_function, member

ORIGIN = (b"origin", b"http://testserver")
HOST = (b"host", b"testserver")


@dataclass
class World:
    workspace: Workspace
    owner: object
    source_admin: object
    member: object
    outsider: object  # a user of no workspace
    stranger: object  # the owner of another workspace
    function: Function
    source: Source


def make_function(workspace: Workspace, slug: str = "stripe") -> Function:
    return deployed_function(workspace=workspace, slug=slug, name=slug.title())


def make_source(function: Function, slug: str) -> Source:
    return SourceFactory(function=function, slug=slug)


def make_world() -> World:
    acme = WorkspaceFactory(slug="acme")
    globex = WorkspaceFactory(slug="globex")
    make_source(make_function(globex), "stripe-live")  # the same slug, another workspace
    function = make_function(acme)
    return World(
        workspace=acme,
        owner=member(acme, Role.OWNER, "owner@acme.example"),
        source_admin=member(acme, Role.SOURCE_ADMIN, "admin@acme.example"),
        member=member(acme, Role.MEMBER, "member@acme.example"),
        outsider=UserFactory(email="outsider@example.com"),
        stranger=member(globex, Role.OWNER, "owner@globex.example"),
        function=function,
        source=make_source(function, "stripe-live"),
    )


def ws_headers(user=None) -> list[tuple[bytes, bytes]]:
    """Headers of a browser's websocket handshake: Origin, Host, and the session of `user`."""
    if user is None:
        return [ORIGIN, HOST]
    client = Client()
    client.force_login(user)
    return [ORIGIN, HOST, (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())]


async def release_db_connections() -> None:
    """Close the connections kept (CONN_MAX_AGE) by the consumers' database thread and
    by the finished per-request threads of Django's ASGI handler (closed when collected),
    so PostgreSQL lets pytest drop the test database at the end."""
    await database_sync_to_async(connections.close_all)()
    gc.collect()
