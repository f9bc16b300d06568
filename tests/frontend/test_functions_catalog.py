"""The functions catalog counts each function's sources behind its deployed version, in a
number of queries that does not grow with the functions listed."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import PASSWORD, FunctionVersionFactory, SourceFactory, deployed_function

pytestmark = pytest.mark.django_db


def lagging_function(workspace, slug: str, behind: int):
    """A function deployed at v2 with `behind` sources still on v1 and one on v2."""
    function = deployed_function(workspace=workspace, slug=slug, name=slug.title())
    first = function.deployed_version
    for _ in range(behind):
        SourceFactory(function=function, version=first)
    function.deployed_version = FunctionVersionFactory(function=function, number=2)
    function.save(update_fields=["deployed_version"])
    SourceFactory(function=function)
    return function


def catalog_page(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/workspaces/acme/functions/")
    assert response.status_code == 200
    return response.content.decode(), len(queries)


def test_the_catalog_counts_lagging_sources_in_fixed_queries(client, owner, workspace):
    assert client.login(username=owner.username, password=PASSWORD)
    lagging_function(workspace, "stripe", behind=2)
    _, few = catalog_page(client)
    for n in range(4):
        lagging_function(workspace, f"github-{n}", behind=1)

    html, many = catalog_page(client)

    assert many == few
    assert html.count("2 behind") == 1 and html.count("1 behind") == 4
