"""Every route of the URL conf and of the websocket routing, with every role, a scoped
source admin, a user of another workspace, a Bearer token of another workspace, and
anonymous, answers as the permission table of issue 4 (docs/catalog.md) says.

The routes are generated from the URL conf: a new route without an entry in EXPECTED
(or PUBLIC) fails test_every_route_has_an_expectation, and a new method on a view
fails test_every_method_of_a_class_view_is_expected. The catalog's own matrix
(tests/catalog/test_permission_matrix.py) checks messages and bodies of its API; this
suite is the cross-cutting check over all routes: API, pages and websockets.
"""

import json
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from catalog.models import FunctionSample, Role, SavedTest, Source
from catalog.services import member_invite, token_create
from functions_ide.routing import websocket_urlpatterns
from ingest import catcher
from ingest.models import (
    Capture,
    Catcher,
    Destination,
    Execution,
    IngestEvent,
    ObjectChange,
    Preview,
    WarehouseObject,
)
from tests.factories import (
    FunctionVersionFactory,
    MembershipFactory,
    SourceFactory,
    UserFactory,
    WorkspaceFactory,
    deployed_function,
    member,
)

OWNER, ADMIN, SCOPED, MEMBER = "owner", "source_admin", "scoped_admin", "member"
OUTSIDER, OTHER_TOKEN, ANONYMOUS = "outsider", "other_workspace_token", "anonymous"
READERS = frozenset({OWNER, ADMIN, SCOPED, MEMBER})
TESTERS = frozenset({OWNER, ADMIN, SCOPED})  # run functions, connect sources
MANAGERS = frozenset({OWNER, ADMIN})  # manage and replay *this* source
OWNERS = frozenset({OWNER})
ANYONE_SIGNED_IN = READERS | {OUTSIDER, OTHER_TOKEN}  # not tied to a workspace
WRITES = ("post", "put", "patch", "delete")


@dataclass(frozen=True)
class Api:
    """A REST endpoint: anonymous 401, another workspace 404, a role lacking it 403."""

    methods: dict  # method -> roles allowed


@dataclass(frozen=True)
class Page:
    """A page: anonymous is sent to the login page, another workspace 404, role 403."""

    methods: dict
    ok: frozenset = frozenset({200})


@dataclass(frozen=True)
class Public:
    """Outside the product's auth on purpose; what anonymous gets, and why."""

    anonymous: dict  # method -> status
    why: str = field(default="")


EXPECTED = {
    # --- pages --------------------------------------------------------------------
    "workspaces": Page({"get": ANYONE_SIGNED_IN - {OTHER_TOKEN}}),
    "help-legacy": Page({"get": ANYONE_SIGNED_IN - {OTHER_TOKEN}}),
    "workspace": Page({"get": READERS}, ok=frozenset({302})),
    "functions": Page({"get": READERS}),
    "function-new": Page({"get": OWNERS}),
    "function-edit": Page({"get": READERS}),
    "sources": Page({"get": READERS}),
    "source-connect": Page({"get": TESTERS}),
    "source": Page({"get": READERS}),
    "source-stats": Page({"get": READERS}),
    "workspace-settings": Page({"get": READERS}),
    "destinations-page": Page({"get": READERS}),
    # The editor's Run on unsaved code: a JSON endpoint under the pages' prefix.
    "function-new-test": Api({"post": TESTERS}),
    # --- catalog API --------------------------------------------------------------
    "catalog:workspace-list": Api({"get": ANYONE_SIGNED_IN}),
    "catalog:workspace-detail": Api({"get": READERS}),
    "catalog:function-list": Api({"get": READERS, "post": OWNERS}),
    "catalog:function-detail": Api({"get": READERS, "patch": OWNERS, "delete": OWNERS}),
    "catalog:function-deploy": Api({"post": OWNERS}),
    "catalog:function-test": Api({"post": TESTERS}),
    "catalog:function-test-settings": Api({"patch": TESTERS}),
    "catalog:sample-list": Api({"get": READERS, "post": OWNERS}),
    # Renaming a sample or changing its request is editing the function (owners); its
    # test settings are test values (who may Run).
    "catalog:sample-detail": Api({"get": READERS, "patch": TESTERS, "delete": OWNERS}),
    "catalog:saved-test-list": Api({"get": READERS, "post": OWNERS}),
    "catalog:saved-test-detail": Api({"get": READERS, "patch": OWNERS, "delete": OWNERS}),
    "catalog:saved-test-run": Api({"post": TESTERS}),
    "catalog:version-list": Api({"get": READERS}),
    "catalog:version-detail": Api({"get": READERS}),
    "catalog:version-restore": Api({"post": OWNERS}),
    "catalog:template-list": Api({"get": READERS}),
    "catalog:template-detail": Api({"get": READERS}),
    "catalog:source-list": Api({"get": READERS, "post": TESTERS}),
    "catalog:source-detail": Api({"get": READERS, "patch": MANAGERS, "delete": MANAGERS}),
    "catalog:source-upgrade": Api({"post": MANAGERS}),
    "catalog:source-rotate-token": Api({"post": MANAGERS}),
    "catalog:member-list": Api({"get": READERS, "post": OWNERS}),
    "catalog:member-detail": Api({"patch": OWNERS, "delete": OWNERS}),
    "catalog:member-invite": Api({"post": OWNERS}),
    "catalog:workspace-invitation-list": Api({"get": OWNERS}),
    "catalog:workspace-invitation-detail": Api({"delete": OWNERS}),
    # One's own invitations: no workspace yet. A token is limited to its workspace, of
    # which its user is a member already: it sees no invitation.
    "catalog:invitation-list": Api({"get": ANYONE_SIGNED_IN}),
    "catalog:invitation-accept": Api({"post": ANYONE_SIGNED_IN - {OTHER_TOKEN}}),
    "catalog:invitation-detail": Api({"delete": ANYONE_SIGNED_IN - {OTHER_TOKEN}}),
    "catalog:token-list": Api({"get": READERS, "post": READERS}),
    "catalog:token-detail": Api({"delete": READERS}),  # each their own token
    "catalog:audit-list": Api({"get": OWNERS}),
    # --- ingest API ---------------------------------------------------------------
    "source-logs": Api({"get": READERS}),
    "source-log": Api({"get": READERS}),
    "source-events": Api({"get": READERS}),
    "source-objects": Api({"get": READERS}),
    "object-changes": Api({"get": READERS}),
    "source-dead-letters": Api({"get": READERS}),
    "source-replay": Api({"post": MANAGERS}),
    "source-rollout": Api(
        {"get": READERS, "post": MANAGERS, "patch": MANAGERS, "delete": MANAGERS}
    ),
    "source-rollout-promote": Api({"post": MANAGERS}),
    "function-catcher": Api({"get": READERS}),
    "catcher-rotate": Api({"post": TESTERS}),
    "function-captures": Api({"get": READERS}),
    "function-capture": Api({"get": READERS, "delete": TESTERS}),
    # A test URL for a function not created yet: its creator's own (another owner's is
    # a 404), for who may create functions.
    "catcher-adopt": Api({"post": OWNERS}),
    "scratch-catchers": Api({"post": OWNERS}),
    "scratch-catcher": Api({"get": OWNERS, "delete": OWNERS}),
    "scratch-captures": Api({"get": OWNERS}),
    "scratch-capture": Api({"get": OWNERS}),
    "source-destinations": Api({"get": READERS, "put": MANAGERS}),
    "destinations": Api({"get": READERS, "post": OWNERS}),
    "destination": Api({"get": READERS, "patch": OWNERS, "delete": OWNERS}),
    "destination-test": Api({"post": OWNERS}),
    "destination-dead-letters": Api({"get": READERS}),
    "destination-replay": Api({"post": OWNERS}),
    "function-previews": Api({"get": OWNERS, "post": OWNERS}),
    "function-preview": Api({"get": OWNERS}),
    "preview-cancel": Api({"post": OWNERS}),
    "preview-webhooks": Api({"get": OWNERS}),
}

PUBLIC = {
    "login": Public({"get": 200, "post": 200, "put": 200}, "the login form"),
    "logout": Public({"post": 302}, "logging out needs no session"),
    "home": Public({"get": 302}, "redirects to the workspace list, which needs a login"),
    "healthz": Public({"get": 200}, "load balancers; says only up or down"),
    "metrics": Public({"get": 200}, "Prometheus; protected by METRICS_TOKEN when set"),
    "webhook": Public(
        {"post": 404, "put": 404, "patch": 404, "get": 404, "delete": 404},
        "senders; the unguessable token is the credential (an unknown one is a 404 whatever "
        "the method; a source's version says which methods it accepts, 405 for the others)",
    ),
    "catcher": Public(
        {"post": 404, "put": 404, "patch": 404, "get": 404},
        "test URL; the unguessable token is the credential",
    ),
    "accept-invite": Public({"get": 404, "post": 404}, "the one-time invite token"),
    "api-schema": Public({"get": 200}, "the OpenAPI document describes no data"),
    "api-docs": Public({"get": 200}, "Swagger UI over the schema"),
}

# Function views that answer any method (they do not declare theirs); every other
# function view must answer an undeclared method with 405.
ANSWERS_ANY_METHOD: set[str] = {"webhook"}  # a source's version decides (ingest.receive)

# (method) -> a body an allowed role can send successfully.
BODIES = {
    ("function-new-test", "post"): {"code": "async function onRequest() {}", "request": {}},
    ("catalog:function-list", "post"): {"name": "New one"},
    ("function-previews", "post"): {"source": "orders-in"},
    ("catalog:function-detail", "patch"): {"code": "// saved"},
    ("catalog:function-deploy", "post"): {"message": "m"},
    ("catalog:function-test", "post"): {"request": {"body": {}}},
    ("catalog:function-test-settings", "patch"): {"settings": {}},
    ("catalog:sample-list", "post"): {"name": "New sample", "request": {"body": {}}},
    ("catalog:sample-detail", "patch"): {"settings": {}},
    ("catcher-adopt", "post"): "own-scratch-catcher",
    ("catalog:saved-test-list", "post"): {
        "name": "New test",
        "request": {"body": {}},
        "expect": {"events": []},
    },  # fmt: skip
    ("catalog:saved-test-detail", "patch"): {"name": "Renamed test"},
    ("catalog:saved-test-run", "post"): {},
    ("catalog:source-list", "post"): "new-source",
    ("catalog:source-detail", "patch"): {"enabled": False},
    ("catalog:source-upgrade", "post"): {"version": 1},
    ("catalog:member-list", "post"): {"email": "new@acme.example", "role": "member"},
    ("catalog:member-detail", "patch"): {"role": "source_admin"},
    ("catalog:invitation-accept", "post"): "own-invitation",
    ("catalog:token-list", "post"): {"name": "mine"},
    ("source-replay", "post"): {"all": True},
    ("source-rollout", "post"): {"version": 2, "share": 10},
    ("source-rollout", "patch"): {"share": 20},
    ("source-destinations", "put"): {"destinations": None},
    ("destinations", "post"): {"name": "Another warehouse", "kind": "duckdb"},
    ("destination", "patch"): {"name": "Renamed"},
    ("destination-replay", "post"): {"all": True},
}
QUERIES = {
    ("catalog:function-detail", "delete"): "?force=true",
    ("object-changes", "get"): "?collection=customers&id=cus_1",  # the world's object
}
# Calls that need a rollout of version 2 running on the world's source (rolled back with
# the test, as everything it writes).
ROLLOUT_RUNNING = {("source-rollout", "patch"), ("source-rollout-promote", "post")}


# --- the routes, from the URL conf ----------------------------------------------------


@dataclass(frozen=True)
class Route:
    name: str
    pattern: URLPattern
    kwargs: frozenset  # of the whole path, included prefixes too

    @property
    def view_class(self):
        return getattr(self.pattern.callback, "view_class", None)

    def class_methods(self) -> set[str]:
        view = self.view_class
        return {
            m
            for m in view.http_method_names
            if m not in {"options", "head", "trace"} and hasattr(view, m)
        }


def http_routes() -> list[Route]:
    found = []

    def walk(patterns, namespace=None, kwargs=frozenset()):
        for pattern in patterns:
            here = kwargs | set(pattern.pattern.converters)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, pattern.namespace or namespace, here)
            elif isinstance(pattern, URLPattern):
                name = f"{namespace}:{pattern.name}" if namespace else pattern.name
                found.append(Route(name or str(pattern.pattern), pattern, here))

    walk(get_resolver().url_patterns)
    return found


ROUTES = {route.name: route for route in http_routes()}


def cases(kind) -> list[tuple[str, str]]:
    return sorted(
        (name, method)
        for name, rule in EXPECTED.items()
        if isinstance(rule, kind)
        for method in rule.methods
    )


def test_every_route_has_an_expectation():
    assert len(ROUTES) == len(http_routes()), "two routes share a name"
    missing = set(ROUTES) - set(EXPECTED) - set(PUBLIC)
    assert not missing, f"routes without an authorization expectation: {sorted(missing)}"
    stale = (set(EXPECTED) | set(PUBLIC)) - set(ROUTES)
    assert not stale, f"expectations of routes that no longer exist: {sorted(stale)}"
    assert not set(EXPECTED) & set(PUBLIC)


def test_every_method_of_a_class_view_is_expected():
    for name, route in ROUTES.items():
        if route.view_class is None:
            continue
        rule = EXPECTED.get(name) or PUBLIC[name]
        declared = set(rule.methods if not isinstance(rule, Public) else rule.anonymous)
        assert route.class_methods() == declared, name


# --- the world ------------------------------------------------------------------------


@pytest.fixture
def world(world_rows, db, empty_test_runs):
    """The module's rows (world_rows), with test runs answered at once."""
    return world_rows


@pytest.fixture(scope="module")
def world_rows(module_db):
    """Made once for each module that uses `world` (tests/conftest.py module_db): what a
    test writes is rolled back after it, and tests use these rows by id."""
    return make_world()


def make_world() -> dict:
    acme = WorkspaceFactory(slug="acme", name="Acme")
    function = deployed_function(workspace=acme, slug="orders")
    FunctionVersionFactory(function=function, number=2)  # a version to roll out
    source = SourceFactory(function=function, slug="orders-in")
    other = WorkspaceFactory(slug="other", name="Other")
    foreign_function = deployed_function(workspace=other, slug="theirs")
    foreign_source = SourceFactory(function=foreign_function, slug="theirs-in")
    users = {
        OWNER: member(acme, Role.OWNER, "owner@acme.example"),
        ADMIN: member(acme, Role.SOURCE_ADMIN, "admin@acme.example"),
        SCOPED: member(acme, Role.SOURCE_ADMIN, "scoped@acme.example", all_sources=False),
        MEMBER: member(acme, Role.MEMBER, "member@acme.example"),
        OUTSIDER: member(other, Role.OWNER, "owner@other.example"),
    }
    # A member of both workspaces, holding a token of the other one only.
    both = member(other, Role.OWNER, "both@other.example")
    MembershipFactory(user=both, workspace=acme, role=Role.OWNER)
    _, other_token = token_create(workspace=other, user=both)
    target = member(acme, Role.MEMBER, "target@acme.example")
    target.set_unusable_password()  # invited, has not set a password yet: re-invitable
    target.save(update_fields=["password"])
    tokens = {role: token_create(workspace=acme, user=users[role])[0] for role in READERS}
    # Each principal is invited to a third workspace (their own invitation to answer);
    # acme and the other workspace each have one pending for a newcomer.
    third = WorkspaceFactory(slug="third", name="Third")
    inviter = member(third, Role.OWNER, "owner@third.example")
    invited = {**users, OTHER_TOKEN: both}
    invitations = {p: _invite(third, inviter, user) for p, user in invited.items()}
    dead_letter = IngestEvent.objects.create(
        source=source,
        version=source.version,
        method="POST",
        path="/hooks/x",
        raw_body=b"{}",
        status=IngestEvent.Status.FAILED,
    )
    for written_by in (source, foreign_source):  # one object of each workspace, same key
        written = WarehouseObject.objects.create(
            workspace=written_by.workspace, collection="customers", object_id="cus_1"
        )
        ObjectChange.objects.create(object=written, source=written_by, properties={"n": 1})
    return {
        "users": users,
        "both": both,
        "invitations": invitations,
        "pending": _invite(acme, users[OWNER], UserFactory(email="newcomer@example.com")),
        "other_token": other_token,
        "tokens": tokens,
        "function": function,
        "source": source,
        "capture": _capture(function),
        "saved_test": _saved_test(function),
        "sample": _sample(function),
        "scratch": _scratch(acme, users[OWNER]),
        "target": target.memberships.get(),
        "foreign": {
            "function_id": foreign_function.pk,
            "slug": foreign_source.slug,
            "capture_id": _capture(foreign_function).pk,
            "test_id": _saved_test(foreign_function).pk,
            "sample_id": _sample(foreign_function).pk,
            "catcher_id": _scratch(other, users[OUTSIDER]).pk,
            "member_id": users[OUTSIDER].memberships.get().pk,
            "token_id": token_create(workspace=other, user=users[OUTSIDER])[0].pk,
            "execution_id": _execution(foreign_source).pk,
            "preview_id": _preview(foreign_source).pk,
            "destination_id": Destination.objects.create(
                workspace=other, name="Theirs", kind="duckdb"
            ).pk,
            "invitation_id": _invite(
                other, users[OUTSIDER], UserFactory(email="theirs@example.com")
            )[0].pk,
        },
        "dead_letter": dead_letter,
        "execution": _execution(source, dead_letter),
        "preview": _preview(source),
        "destination": Destination.objects.create(workspace=acme, name="Warehouse", kind="duckdb"),
    }


def _execution(source, ingest_event=None) -> Execution:
    ingest_event = ingest_event or IngestEvent.objects.create(
        source=source, version=source.version, method="POST", path="/hooks/x", raw_body=b"{}"
    )
    return Execution.objects.create(
        ingest_event=ingest_event, source=source, version=source.version, attempt=1,
        started_at=ingest_event.received_at, duration_ms=1.0, status="failed",
    )  # fmt: skip


def _preview(source) -> Preview:
    """A preview on recent traffic of the source's function, kept for a day."""
    now = timezone.now()
    return Preview.objects.create(
        function=source.function, source=source, code="", time_limit_ms=1000, requested=1,
        expires_at=now + timedelta(days=1), stale_after=now + timedelta(days=1),
    )  # fmt: skip


def _invite(workspace, actor, user) -> tuple:
    """(the invitation, its link) of user to workspace."""
    invited = member_invite(workspace=workspace, actor=actor, email=user.email, role=Role.MEMBER)
    return invited.invite, invited.invite_url


def _capture(function) -> Capture:
    return Capture.objects.create(function=function, method="POST", path="/hooks/test/x")


def _sample(function) -> FunctionSample:
    return FunctionSample.objects.create(function=function, name="A sample", request={"body": {}})


def _scratch(workspace, user) -> Catcher:
    """A scratch test URL of the user, with one capture."""
    scratch = catcher.scratch_catcher_create(workspace=workspace, actor=user)
    Capture.objects.create(catcher=scratch, method="POST", path="/hooks/test/x")
    return scratch


def _saved_test(function) -> SavedTest:
    return SavedTest.objects.create(
        function=function, name="A test", request={"body": {}}, expect={"events": []}
    )


def url_of(world: dict, name: str, principal: str, *, foreign: bool = False) -> str:
    route = ROUTES[name]
    values = {
        "ws": "acme",
        "function_id": world["function"].pk,
        "slug": "default" if name == "catalog:template-detail" else world["source"].slug,
        "capture_id": (
            world["scratch"].captures.get().pk if name == "scratch-capture" else world["capture"].pk
        ),
        "test_id": world["saved_test"].pk,
        "sample_id": world["sample"].pk,
        "catcher_id": world["scratch"].pk,
        "number": 1,
        "member_id": world["target"].pk,
        "token_id": world["tokens"].get(principal, world["tokens"][OWNER]).pk,
        "token": "not-a-real-token",
        "execution_id": world["execution"].pk,
        "destination_id": world["destination"].pk,
        "preview_id": world["preview"].pk,
        "invitation_id": (
            world["pending"][0].pk
            if name == "catalog:workspace-invitation-detail"
            else world["invitations"].get(principal, world["invitations"][OWNER])[0].pk
        ),
    }
    if foreign:
        values.update({k: v for k, v in world["foreign"].items() if k in route.kwargs})
    return reverse(name, kwargs={k: values[k] for k in route.kwargs})


def client_for(world: dict, principal: str) -> tuple[Client, dict]:
    client = Client()
    if principal == OTHER_TOKEN:
        return client, {"HTTP_AUTHORIZATION": f"Bearer {world['other_token']}"}
    if principal != ANONYMOUS:
        client.force_login(world["users"][principal])
    return client, {}


def body_of(world: dict, name: str, method: str, principal: str):
    """What an allowed principal sends (a few bodies depend on the world)."""
    body = BODIES.get((name, method))
    if body == "new-source":
        return {"name": "Another", "function": world["function"].pk}
    if body == "own-scratch-catcher":
        return {"catcher": world["scratch"].pk}
    if body == "own-invitation":
        return {"link": world["invitations"].get(principal, world["invitations"][OWNER])[1]}
    return body


def prepare(world: dict, name: str, method: str) -> None:
    """What a call needs beyond the world: a rollout running, for some."""
    if (name, method) in ROLLOUT_RUNNING:
        Source.objects.filter(pk=world["source"].pk).update(
            rollout_version=world["function"].versions.get(number=2),
            rollout_share=10,
            rollout_started_at=timezone.now(),
        )


def call(world: dict, principal: str, name: str, method: str, *, foreign: bool = False):
    client, headers = client_for(world, principal)
    prepare(world, name, method)
    url = url_of(world, name, principal, foreign=foreign) + QUERIES.get((name, method), "")
    body = body_of(world, name, method, principal)
    if method == "get":
        return client.get(url, **headers)
    data = json.dumps(body) if body is not None else ""
    return getattr(client, method)(url, data, content_type="application/json", **headers)


# --- HTTP -----------------------------------------------------------------------------

PRINCIPALS = [OWNER, ADMIN, SCOPED, MEMBER, OUTSIDER, ANONYMOUS]


def expected_status(rule, principal: str, method: str) -> set[int]:
    allowed = rule.methods[method]
    if principal == ANONYMOUS:
        return {401} if isinstance(rule, Api) else {302}
    if principal in allowed:
        return set(rule.ok) if isinstance(rule, Page) else {200, 201, 204}
    if principal in (OUTSIDER, OTHER_TOKEN):
        return {404}
    return {403}


@pytest.mark.parametrize("principal", PRINCIPALS)
@pytest.mark.parametrize(("name", "method"), cases(Api) + cases(Page))
def test_route_answers_each_principal(world, name, method, principal):
    rule = EXPECTED[name]

    response = call(world, principal, name, method)

    assert response.status_code in expected_status(rule, principal, method), (
        principal, name, method, response.status_code, response.content[:300],
    )  # fmt: skip
    if principal == ANONYMOUS and isinstance(rule, Page):
        assert response["Location"].startswith("/login/?next=")
    if principal == ANONYMOUS and isinstance(rule, Api):
        assert response["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(("name", "method"), cases(Api))
def test_a_bearer_token_of_another_workspace_reaches_nothing_here(world, name, method):
    """The token's user is an owner of acme too; the token is limited to its workspace."""
    rule = EXPECTED[name]
    response = call(world, OTHER_TOKEN, name, method)
    assert response.status_code in expected_status(rule, OTHER_TOKEN, method), (
        name, method, response.status_code, response.content[:300],
    )  # fmt: skip


OBJECT_KWARGS = {
    "function_id",
    "slug",
    "capture_id",
    "test_id",
    "sample_id",
    "catcher_id",
    "member_id",
    "token_id",
    "execution_id",
    "invitation_id",
}


@pytest.mark.parametrize(
    ("name", "method"),
    [
        (name, method)
        for name, method in cases(Api) + cases(Page)
        if ROUTES[name].kwargs & OBJECT_KWARGS and name != "catalog:template-detail"
    ],
)
def test_an_object_of_another_workspace_is_404_under_ones_own(world, name, method):
    """The owner of acme, with acme's slug in the URL and the other workspace's ids."""
    response = call(world, OWNER, name, method, foreign=True)
    assert response.status_code == 404, (name, method, response.content[:300])


@pytest.mark.parametrize(
    ("name", "method"), sorted((n, m) for n, rule in PUBLIC.items() for m in rule.anonymous)
)
def test_public_routes_answer_anonymous_as_declared(world, name, method):
    response = call(world, ANONYMOUS, name, method)
    assert response.status_code == PUBLIC[name].anonymous[method], response.content[:300]


@pytest.mark.parametrize(
    "name",
    sorted(n for n, r in ROUTES.items() if r.view_class is None and n not in ANSWERS_ANY_METHOD),
)
def test_a_function_view_refuses_the_methods_it_does_not_declare(world, name):
    """Class views answer only what they define; function views must say it themselves."""
    rule = EXPECTED.get(name) or PUBLIC[name]
    declared = set(rule.anonymous if isinstance(rule, Public) else rule.methods)
    for method in sorted({"get", *WRITES} - declared):
        response = call(world, OWNER, name, method)
        assert response.status_code == 405, (name, method, response.status_code)


# --- websockets -----------------------------------------------------------------------

WEBSOCKETS = {
    "ws/functions/<int:function_id>/catcher/": READERS,
    "ws/workspaces/<slug:ws>/catchers/<int:catcher_id>/": OWNERS,
    "ws/workspaces/<slug:ws>/sources/<slug:slug>/live/": READERS,
    "ws/sources/<slug:slug>/live/": READERS,
}
NOT_AUTHENTICATED, FORBIDDEN, NOT_FOUND = 4401, 4403, 4404


def test_every_websocket_route_has_an_expectation():
    assert {str(p.pattern) for p in websocket_urlpatterns} == set(WEBSOCKETS)


def ws_path(route: str, values: dict) -> str:
    path = route
    for key in ("function_id", "ws", "slug", "catcher_id"):
        path = path.replace(f"<int:{key}>", str(values[key])).replace(
            f"<slug:{key}>", str(values[key])
        )
    return "/" + path


def ws_headers(user) -> list[tuple[bytes, bytes]]:
    headers = [(b"origin", b"http://testserver"), (b"host", b"testserver")]
    if user is not None:
        client = Client()
        client.force_login(user)
        headers.append((b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()))
    return headers


def ws_world() -> dict:
    acme = WorkspaceFactory(slug="acme")
    other = WorkspaceFactory(slug="other")
    function = deployed_function(workspace=acme)
    SourceFactory(function=function, slug="orders-in")
    foreign = deployed_function(workspace=other)
    SourceFactory(function=foreign, slug="theirs-in")
    users = {
        OWNER: member(acme, Role.OWNER),
        ADMIN: member(acme, Role.SOURCE_ADMIN),
        SCOPED: member(acme, Role.SOURCE_ADMIN, all_sources=False),
        MEMBER: member(acme, Role.MEMBER),
        OUTSIDER: member(other, Role.OWNER),
        ANONYMOUS: None,
    }
    return {
        "headers": {p: ws_headers(u) for p, u in users.items()},
        "own": {
            "function_id": function.pk,
            "ws": "acme",
            "slug": "orders-in",
            "catcher_id": _scratch(acme, users[OWNER]).pk,
        },
        "foreign": {
            "function_id": foreign.pk,
            "ws": "other",
            "slug": "theirs-in",
            "catcher_id": _scratch(other, users[OUTSIDER]).pk,
        },
    }


async def handshake(path: str, headers) -> tuple[bool, int | None]:
    from functions_ide.asgi import application

    communicator = WebsocketCommunicator(application, path, headers)
    connected, code = await communicator.connect()
    await communicator.disconnect()
    return connected, None if connected else code
