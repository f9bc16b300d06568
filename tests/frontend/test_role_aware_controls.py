"""Controls a role may not use are not on its pages (the server refuses them anyway)."""

import pytest

from tests.factories import PASSWORD, SourceFactory, deployed_function

pytestmark = pytest.mark.django_db


@pytest.fixture
def source(workspace):
    function = deployed_function(workspace=workspace, name="Stripe", slug="stripe")
    return SourceFactory(function=function, slug="stripe-live")


def html(client, user, path) -> str:
    client.login(username=user.username, password=PASSWORD)
    return client.get(path).content.decode()


def test_owner_sees_every_control(client, owner, source):
    assert 'id="new-function"' in html(client, owner, "/workspaces/acme/functions/")
    editor = html(client, owner, f"/workspaces/acme/functions/{source.function_id}/")
    assert 'id="deploy"' in editor and 'id="run"' in editor
    page = html(client, owner, "/workspaces/acme/sources/stripe-live/")
    assert 'id="toggle-enabled"' in page and 'id="replay-all"' in page
    settings = html(client, owner, "/workspaces/acme/settings/")
    assert 'id="add-member"' in settings and 'id="audit"' in settings


def test_source_admin_runs_but_does_not_edit_code(client, source_admin, source):
    assert 'id="new-function"' not in html(client, source_admin, "/workspaces/acme/functions/")
    editor = html(client, source_admin, f"/workspaces/acme/functions/{source.function_id}/")
    assert 'id="run"' in editor
    assert 'id="deploy"' not in editor and 'id="save"' not in editor
    assert 'id="toggle-enabled"' in html(
        client, source_admin, "/workspaces/acme/sources/stripe-live/"
    )
    settings = html(client, source_admin, "/workspaces/acme/settings/")
    assert 'id="add-member"' not in settings and 'id="audit"' not in settings


def test_member_sees_read_only_pages(client, member_user, source):
    editor = html(client, member_user, f"/workspaces/acme/functions/{source.function_id}/")
    assert 'id="run"' not in editor and 'id="deploy"' not in editor
    assert "Connect source" not in html(client, member_user, "/workspaces/acme/sources/")
    page = html(client, member_user, "/workspaces/acme/sources/stripe-live/")
    assert 'id="toggle-enabled"' not in page and 'id="replay-all"' not in page
    assert 'id="delete-source"' not in page
