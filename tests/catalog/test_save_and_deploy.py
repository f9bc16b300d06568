"""Save never changes what runs; Save & Deploy makes version N+1 and moves only the
sources that follow the deployed version."""

import pytest

from catalog.models import Function, Source
from tests.catalog.helpers import API, REGION, connect, create_function, deploy

pytestmark = pytest.mark.django_db


def test_save_changes_only_the_draft(owner_api):
    function = create_function(owner_api, code="// v1", settings=[REGION])
    deploy(owner_api, function["id"], message="first")
    source = connect(owner_api, function["id"], settings={"region": "eu"})
    before = Source.objects.values().get(pk=source["id"])

    response = owner_api.patch(
        f"{API}/functions/{function['id']}/",
        {"code": "// draft", "settings": [], "name": "Renamed"},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["code"] == "// draft"
    saved = Function.objects.get(pk=function["id"])
    assert saved.deployed_version.number == 1 and saved.deployed_version.code == "// v1"
    assert saved.versions.count() == 1
    assert Source.objects.values().get(pk=source["id"]) == before


def test_deploy_makes_the_next_version_and_leaves_pinned_sources(owner_api):
    function = create_function(owner_api, code="// v1")
    first = deploy(owner_api, function["id"], message="first")
    pinned = connect(owner_api, function["id"], name="Pinned")
    following = connect(owner_api, function["id"], name="Following", follow_deployed=True)

    second = deploy(owner_api, function["id"], message="second", code="// v2")

    assert (first["version"]["number"], second["version"]["number"]) == (1, 2)
    assert second["version"]["code"] == "// v2" and second["version"]["message"] == "second"
    assert [s["slug"] for s in second["moved_sources"]] == [following["slug"]]
    detail = owner_api.get(f"{API}/sources/{pinned['slug']}/").json()
    assert (detail["version"], detail["deployed_version"], detail["behind"]) == (1, 2, True)
    moved = owner_api.get(f"{API}/sources/{following['slug']}/").json()
    assert (moved["version"], moved["behind"]) == (2, False)
    listed = owner_api.get(f"{API}/functions/").json()["results"][0]
    assert (listed["deployed_version"], listed["source_count"], listed["sources_behind"]) == (
        2,
        2,
        1,
    )


def test_a_following_source_whose_settings_do_not_fit_stays(owner_api):
    function = create_function(owner_api)
    deploy(owner_api, function["id"])
    following = connect(owner_api, function["id"], follow_deployed=True)
    required = {**REGION, "required": True}

    result = deploy(owner_api, function["id"], settings=[required])

    assert [s["slug"] for s in result["held_sources"]] == [following["slug"]]
    assert Source.objects.get(pk=following["id"]).version.number == 1


def test_versions_are_listed_and_restored_into_the_draft(owner_api):
    function = create_function(owner_api, code="// one")
    deploy(owner_api, function["id"])
    deploy(owner_api, function["id"], code="// two")

    versions = owner_api.get(f"{API}/functions/{function['id']}/versions/").json()
    assert [v["number"] for v in versions["results"]] == [2, 1]
    restored = owner_api.post(f"{API}/functions/{function['id']}/versions/1/restore/")
    assert restored.status_code == 200 and restored.json()["code"] == "// one"
    assert restored.json()["deployed_version"] == 2
    assert owner_api.get(f"{API}/functions/{function['id']}/versions/9/").status_code == 404
