# ruff: noqa: E501  (JavaScript sources read better unwrapped)
"""A source's `cache` through its webhook URL: what one execution stores the next ones
read, in the same batch and in later ones, never another source's; in the worker's
memory embedded, in Redis in production (this module runs in both configurations)."""

import pytest
from django.conf import settings

from ingest import services
from ingest.execute.cache import RedisCache, cache_scope, function_cache
from ingest.models import Execution
from runner import MemoryCache
from tests.factories import SourceFactory, deployed_function
from tests.ingest.helpers import post_webhook

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_queue")]
TOKEN_CACHE = """async function onRequest(request) {
  const body = request.json();
  let fetched = false;
  const token = await cache.load('token', -1, async () => { fetched = true; return { value: body.token }; });
  console.log(fetched ? 'fetched' : 'cached', token.value);
  if (body.rotate) cache.delete('token');
}"""


@pytest.fixture
def sources():
    """Two sources of one function (one version): a batch may hold both."""
    function = deployed_function(draft_code=TOKEN_CACHE)
    made = [SourceFactory(function=function), SourceFactory(function=function)]
    yield made
    store = function_cache()
    for source in made:  # leave nothing behind in a shared Redis
        store.delete(cache_scope(source), "token")


def accept(client, source, **body) -> int:
    return post_webhook(client, source, body).json()["id"]


def said(executions: list[Execution]) -> list[str]:
    by_event = {e.ingest_event_id: e for e in executions}
    return [by_event[pk].logs[0]["message"] for pk in sorted(by_event)]


def test_the_store_is_the_deployment_s():
    store = function_cache()
    assert isinstance(store, RedisCache if settings.REDIS_URL else MemoryCache)


def test_executions_of_a_batch_and_of_later_batches_share_their_source_s_cache(client, sources):
    one, two = sources
    batch = [accept(client, one, token="t1"), accept(client, one, token="t2"),
             accept(client, two, token="u1"), accept(client, one, token="t3")]  # fmt: skip
    executions = services.ingest_events_execute(ingest_event_ids=batch)
    assert said(executions) == ["fetched t1", "cached t1", "fetched u1", "cached t1"]
    later = services.ingest_events_execute(ingest_event_ids=[accept(client, two, token="u2")])
    assert said(later) == ["cached u1"]


def test_a_deleted_value_is_fetched_again(client, sources):
    one, _ = sources
    first = accept(client, one, token="old", rotate=True)
    second = accept(client, one, token="new")
    executions = services.ingest_events_execute(ingest_event_ids=[first, second])
    assert said(executions) == ["fetched old", "fetched new"]


def test_a_source_of_another_workspace_never_reads_it(client, sources):
    one, _ = sources
    services.ingest_events_execute(ingest_event_ids=[accept(client, one, token="secret")])
    stranger = SourceFactory(function=deployed_function(draft_code=TOKEN_CACHE))
    assert stranger.workspace_id != one.workspace_id
    executions = services.ingest_events_execute(
        ingest_event_ids=[accept(client, stranger, token="own")]
    )
    function_cache().delete(cache_scope(stranger), "token")
    assert said(executions) == ["fetched own"]
