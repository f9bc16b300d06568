"""Every page renders for each role, is a 404 for a user of another workspace and a
redirect to the login page for an anonymous visitor."""

import pytest

from tests.factories import PASSWORD, SourceFactory, deployed_function

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(workspace):
    function = deployed_function(workspace=workspace, name="Stripe", slug="stripe")
    source = SourceFactory(function=function, slug="stripe-live", name="Stripe live")
    return {"function": function, "source": source}


def pages(world) -> list[str]:
    fid, slug = world["function"].pk, world["source"].slug
    return [
        "/workspaces/acme/",
        "/workspaces/acme/functions/",
        f"/workspaces/acme/functions/{fid}/",
        "/workspaces/acme/sources/",
        f"/workspaces/acme/sources/{slug}/",
        f"/workspaces/acme/sources/{slug}/stats.json",
        "/workspaces/acme/destinations/",
        "/workspaces/acme/settings/",
    ]


def logged_in(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.mark.parametrize("role", ["owner", "source_admin", "member_user"])
def test_every_page_renders_for_each_role(client, request, world, role):
    logged_in(client, request.getfixturevalue(role))
    for path in pages(world):
        response = client.get(path, follow=path.endswith("/acme/"))
        assert response.status_code == 200, path


def test_pages_of_another_workspace_are_404(client, world, outsider):
    logged_in(client, outsider)
    for path in [*pages(world), "/workspaces/acme/functions/new/", "/workspaces/acme/sources/new/"]:
        assert client.get(path).status_code == 404, path


def test_anonymous_visitors_are_sent_to_log_in(client, world):
    for path in pages(world):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/login/?next=")


def test_only_owners_open_the_editor_of_a_new_function(client, owner, source_admin, member_user):
    for user, status in ((owner, 200), (source_admin, 403), (member_user, 403)):
        client.logout()
        logged_in(client, user)
        assert client.get("/workspaces/acme/functions/new/").status_code == status


def test_members_cannot_open_connect_a_source(client, world, owner, source_admin, member_user):
    path = f"/workspaces/acme/sources/new/?function={world['function'].pk}"
    for user, status in ((owner, 200), (source_admin, 200), (member_user, 403)):
        client.logout()
        logged_in(client, user)
        assert client.get(path).status_code == status


def test_switcher_links_to_the_functions_catalog(client, owner, workspace):
    logged_in(client, owner)
    assert b'href="/workspaces/acme/functions/"' in client.get("/workspaces/").content


def test_a_refusal_is_a_page_that_says_why(client, source_admin):
    logged_in(client, source_admin)
    response = client.get("/workspaces/acme/functions/new/")
    assert response.status_code == 403
    page = response.content.decode()
    assert "Only workspace owners may change functions." in page
    assert 'href="/workspaces/"' in page and "admin@acme.example" in page  # the product's page


def test_a_missing_page_is_a_page_that_says_where_to_go(client, world, outsider):
    logged_in(client, outsider)
    response = client.get(f"/workspaces/acme/functions/{world['function'].pk}/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "belongs to a workspace you are not a member of" in page
    assert 'href="/workspaces/"' in page
