"""kill -9 a worker in the middle of executions: after a restart every accepted webhook
is executed, and stored exactly once in the event store."""

import httpx
import pytest

from tests.faults.stack import Stack, connect_source, require_services

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# Slow enough (about 30 ms a run) that the kill lands while executions are in flight.
SLOW_TRACK = """
async function onRequest(request) {
  const started = Date.now();
  while (Date.now() - started < 30) {}
  const body = request.json();
  Segment.track({ event: 'Order Placed', userId: body.user, properties: { n: body.n } });
}
"""
WEBHOOKS = 80


@pytest.fixture
def stack(tmp_path):
    require_services()
    stack = Stack(
        tmp_path,
        "functions_ide_fault_kill",
        redis_db=11,
        SWEEP_INTERVAL_S="1",
        SWEEP_GRACE_S="2",
        CLAIM_MARGIN_S="2",
        # The killed attempts are retried: within the test, not after the default's minutes.
        RETRY_BACKOFF_BASE_S="0.5",
        RETRY_BACKOFF_CAP_S="2",
    )
    stack.create()
    yield stack
    stack.stop()
    stack.drop()


def test_a_killed_worker_loses_and_duplicates_nothing(stack):
    api = stack.api(stack.owner_token())
    stack.start_server()
    source = connect_source(api, SLOW_TRACK)
    first = stack.start_worker("first", concurrency=2)
    with httpx.Client(timeout=10) as sender:
        accepted = [
            sender.post(source["webhook_url"], json={"user": f"u{n}", "n": n})
            for n in range(WEBHOOKS)
        ]
    assert all(answer.status_code == 200 for answer in accepted)
    events = f"sources/{source['slug']}/events/"
    stack.wait_until(lambda: api.get(events, params={"limit": 1}).json()["count"] >= 5)
    stack.kill(first)
    in_flight = api.get(events, params={"limit": 1}).json()["count"]
    assert in_flight < WEBHOOKS, "the worker finished before it was killed; slow the function"

    stack.start_worker("second", concurrency=2, beat=True)  # the sweep runs with the beat
    stack.wait_until(
        lambda: api.get(events, params={"limit": 1}).json()["count"] >= WEBHOOKS,
        timeout=90,
        what="every accepted webhook to be stored",
    )
    stored = api.get(events, params={"limit": 100}).json()  # the largest page: all 80
    assert stored["count"] == WEBHOOKS
    assert sorted(e["message"]["properties"]["n"] for e in stored["results"]) == list(
        range(WEBHOOKS)
    )
    assert len({e["message_id"] for e in stored["results"]}) == WEBHOOKS
