"""Small helpers of the ingest tests: sources running given code, posting webhooks,
waiting for the worker."""

import json

from catalog.models import Source
from ingest.models import IngestEvent
from tests.factories import FunctionVersionFactory, SourceFactory, deployed_function
from tests.waiting import wait_until

STRIPE_CHARGE = {
    "id": "evt_1NG8Du2eZvKYlo2CUI79vXWy",
    "object": "event",
    "type": "charge.succeeded",
    "data": {
        "object": {"id": "ch_3NG8", "amount": 2000, "currency": "usd", "customer": "cus_9s6X"}
    },
}

TRACK_AND_SET = """\
async function onRequest(request, settings) {
  const body = request.json();
  if (body.type !== 'charge.succeeded') {
    throw new EventNotSupported(`${body.type} is not supported`);
  }
  const charge = body.data.object;
  Segment.track({ event: 'Charge Succeeded', userId: charge.customer,
                  properties: { amount: charge.amount / 100, currency: charge.currency } });
  Segment.set({ collection: 'charges', id: charge.id, properties: { amount: charge.amount } });
}
"""


def source_running(code: str, workspace=None, **kwargs) -> Source:
    """A source pinned to version 1 of a function with this code."""
    extra = {"workspace": workspace} if workspace is not None else {}
    function = deployed_function(draft_code=code, **extra)
    return SourceFactory(function=function, **kwargs)


def responding_source(
    code: str, methods=("POST",), workspace=None, time_limit_ms=None, **kwargs
) -> Source:
    """A source whose function (version 1) responds to the sender."""
    extra = {"workspace": workspace} if workspace is not None else {}
    function = deployed_function(
        draft_code=code, methods=list(methods), responds=True, time_limit_ms=time_limit_ms, **extra
    )
    return SourceFactory(function=function, **kwargs)


def deploy_new_version(source: Source, code: str):
    """Version N+1 of the source's function becomes its deployed version."""
    function = source.function
    version = FunctionVersionFactory(
        function=function, number=function.versions.count() + 1, code=code
    )
    function.deployed_version = version
    function.save(update_fields=["deployed_version"])
    return version


def post_webhook(client, source: Source, body=STRIPE_CHARGE, *, query: str = "", **headers):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    content_type = headers.pop("content_type", "application/json")
    url = f"/hooks/{source.webhook_token}" + (f"?{query}" if query else "")
    return client.post(url, data=data, content_type=content_type, **headers)


def wait_for(predicate, timeout: float = 15.0, interval: float = 0.05):
    """Poll until predicate() is truthy (work happens on another thread or process)."""
    return wait_until(predicate, timeout, interval=interval)


def finished(event_id: int) -> bool:
    status = IngestEvent.objects.filter(pk=event_id).values_list("status", flat=True).first()
    return status in (IngestEvent.Status.SUCCEEDED, IngestEvent.Status.FAILED)
