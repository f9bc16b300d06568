"""Issue 18.9: every list of the API is one page of at most API_MAX_PAGE_SIZE rows
(default 100, never more than 1,000), with links to the next and previous pages. A
`limit` or `offset` that is not a whole number in range is a 400 that says the range:
`?limit=99999999999999999999` was a 500 on every list, and `events/?limit=300000`
returned 98 MB to a member.

The lists are found, not listed: every GET route of the authorization matrix is called,
and each that answers a page is checked here (a list that answers a bare array fails)."""

import json

import pytest
from django.core.management import call_command
from django.test import Client

from ingest.models import StoredEvent
from tests.security import test_authorization_matrix as matrix
from tests.security.test_authorization_matrix import MEMBER, OWNER, Api

pytestmark = pytest.mark.django_db

world, world_rows = matrix.world, matrix.world_rows  # the fixtures: rows made once

LIMIT_RANGE = ["Must be a whole number from 1 to 100."]
OFFSET_RANGE = ["Must be a whole number from 0 to 1000000000."]


def get(world, name: str, query: str = "", principal: str = OWNER):
    client = Client()
    client.force_login(world["users"][principal])
    needed = matrix.QUERIES.get((name, "get"), "")  # a list that needs its key (an object's)
    if needed and query:
        query = "&" + query.removeprefix("?")
    return client.get(matrix.url_of(world, name, principal) + needed + query)


def api_reads() -> list[str]:
    return sorted(name for name, method in matrix.cases(Api) if method == "get")


def lists(world) -> list[str]:
    """The GET routes whose answer is a page: {count, next, previous, results}."""
    found = []
    for name in api_reads():
        body = get(world, name).json()
        assert not isinstance(body, list), f"{name} answers a bare array: paginate it"
        if isinstance(body, dict) and "results" in body:
            assert {"count", "next", "previous", "results"} <= set(body), name
            found.append(name)
    return found


def test_every_list_is_a_page_and_the_schema_says_so(world):
    names = lists(world)
    assert len(names) >= 12  # catalog and ingest lists alike
    out = json.loads(_schema())
    paged = [
        path
        for path, operations in out["paths"].items()
        if "get" in operations
        and "Paginated" in json.dumps(operations["get"]["responses"].get("200", {}))
    ]
    assert len(paged) == len(names), (sorted(paged), names)
    for path in paged:
        params = {p["name"]: p["schema"] for p in out["paths"][path]["get"]["parameters"]}
        assert params["limit"]["minimum"] == 1 and params["limit"]["maximum"] == 100, path
        assert params["offset"]["minimum"] == 0, path


def _schema() -> str:
    from io import StringIO

    out = StringIO()
    call_command("spectacular", "--format", "openapi-json", stdout=out)
    return out.getvalue()


@pytest.mark.parametrize(
    "query",
    ["?limit=99999999999999999999", "?limit=300000", "?limit=101", "?limit=0", "?limit=-1",
     "?limit=ten", "?limit=1.5", "?limit=%201", "?limit=1_0", "?limit=" + "9" * 5000],
)  # fmt: skip
def test_a_limit_out_of_range_is_a_400_that_says_the_range(world, query):
    for name in lists(world):
        response = get(world, name, query)
        assert response.status_code == 400, (name, query, response.content[:200])
        assert response.json()["errors"] == {"limit": LIMIT_RANGE}, name


@pytest.mark.parametrize("query", ["?offset=99999999999999999999", "?offset=-1", "?offset=x"])
def test_an_offset_out_of_range_is_a_400_that_says_the_range(world, query):
    for name in lists(world):
        response = get(world, name, query)
        assert response.status_code == 400, (name, query, response.content[:200])
        assert response.json()["errors"] == {"offset": OFFSET_RANGE}, name


def test_limits_in_range_are_served(world):
    for name in lists(world):
        for query in ("?limit=1", "?limit=100", "?limit=", "?offset=1000000000", "?offset=0"):
            assert get(world, name, query).status_code == 200, (name, query)


@pytest.fixture
def many_events(world):
    source = world["source"]
    StoredEvent.objects.bulk_create(
        StoredEvent(source=source, message_id=f"m{n}", type="track", message={"n": n})
        for n in range(130)
    )
    return source


def test_a_member_pages_through_events_instead_of_taking_them_all(world, many_events):
    name = "source-events"
    assert get(world, name, "?limit=300000", MEMBER).status_code == 400

    first = get(world, name, principal=MEMBER).json()
    assert first["count"] == 130 and len(first["results"]) == 50  # the default page
    assert first["previous"] is None and "offset=50" in first["next"]
    client = Client()
    client.force_login(world["users"][MEMBER])
    second = client.get(first["next"]).json()
    assert len(second["results"]) == 50
    seen = {e["message_id"] for e in first["results"]} | {
        e["message_id"] for e in second["results"]
    }
    assert len(seen) == 100

    biggest = get(world, name, "?limit=100", MEMBER).json()
    assert len(biggest["results"]) == 100 and "offset=100" in biggest["next"]


def test_the_largest_page_is_configurable_up_to_1000(settings, world, many_events):
    settings.API_MAX_PAGE_SIZE = 1000
    assert len(get(world, "source-events", "?limit=1000").json()["results"]) == 130
    response = get(world, "source-events", "?limit=1001")
    assert response.json()["errors"] == {"limit": ["Must be a whole number from 1 to 1000."]}


def test_a_largest_page_past_1000_is_refused_at_startup(tmp_path):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(DJANGO_SETTINGS_MODULE="functions_ide.settings", DATA_DIR=str(tmp_path))
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={**env, "API_MAX_PAGE_SIZE": "5000"},
        cwd=matrix.__file__.rsplit("/tests/", 1)[0],
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0
    assert "API_MAX_PAGE_SIZE must be from 1 to 1000." in done.stderr
