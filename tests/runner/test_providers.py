# ruff: noqa: E501  (JavaScript sources and payloads read better unwrapped)
"""Webhook samples of real providers replayed through functions written as for Segment."""

import pytest

from .conftest import sample

FUNCTIONS = {
    "stripe_charge_succeeded": """
async function onRequest(request, settings) {
  const event = request.json();
  if (event.type !== 'charge.succeeded') throw new EventNotSupported(`${event.type} is not supported`);
  const charge = event.data.object;
  Segment.track({ event: 'Charge Succeeded', userId: charge.customer,
    properties: { amount: charge.amount / 100, currency: charge.currency }, timestamp: new Date(event.created * 1000) });
  Segment.identify({ userId: charge.customer, traits: { email: charge.billing_details.email } });
}""",
    "github_push": """
async function onRequest(request) {
  const body = await request.json();
  Segment.track({ event: request.headers.get('x-github-event'), anonymousId: request.headers.get('X-GitHub-Delivery'),
    properties: { repo: body.repository.full_name, commits: _.map(body.commits, 'id') } });
}""",
    "shopify_order_create": """
async function onRequest(request) {
  const order = request.json();
  Segment.track({ event: 'Order Completed', userId: String(order.customer.id),
    properties: { order_id: order.id, total: Number(order.total_price), skus: order.line_items.map(i => i.sku) } });
}""",
    "twilio_sms_form": """
async function onRequest(request) {
  const form = new URLSearchParams(request.text());
  Segment.track({ event: 'SMS Received', userId: form.get('From'), properties: { body: form.get('Body') } });
}""",
    "typeform_form_response": """
async function onRequest(request) {
  const { form_response } = request.json();
  const email = form_response.answers.find(a => a.type === 'email').email;
  Segment.identify({ userId: form_response.hidden.user_id, traits: { email } });
  Segment.track({ event: 'Form Submitted', userId: form_response.hidden.user_id,
    properties: { form: form_response.definition.title, rating: form_response.answers[0].number } });
}""",
    "drift_new_message": """
async function onRequest(request) {
  const { type, data } = request.json();
  if (type !== 'new_message') return;
  Segment.track({ event: 'Message Received', userId: String(data.author.id),
    properties: { conversation: data.conversationId, text: data.body.replace(/<[^>]+>/g, '') } });
}""",
    "zuora_payment": """
async function onRequest(request) {
  const p = request.json();
  Segment.track({ event: 'Payment Processed', userId: p.AccountNumber,
    properties: { amount: parseFloat(p.Amount), tenant: request.url.searchParams.get('tenant') } });
  Segment.group({ userId: p.AccountNumber, groupId: p.AccountID, traits: { name: p.AccountName } });
  Segment.set({ collection: 'payments', id: p.PaymentID, properties: { amount: p.Amount } });
}""",
    "pipedrive_deal_updated": """
async function onRequest(request) {
  const { current, previous, meta } = request.json();
  if (current.status !== previous.status) {
    Segment.track({ event: `Deal ${_.capitalize(current.status)}`, userId: String(meta.user_id),
      properties: { deal_id: current.id, value: current.value } });
  }
}""",
}

EXPECTED = {
    "stripe_charge_succeeded": [
        ("track", "Charge Succeeded", {"amount": 20, "currency": "usd"}),
        ("identify", None, None),
    ],
    "github_push": [
        (
            "track",
            "push",
            {
                "repo": "Codertocat/Hello-World",
                "commits": ["0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c"],
            },
        )
    ],
    "shopify_order_create": [
        (
            "track",
            "Order Completed",
            {
                "order_id": 820982911946154500,
                "total": 403,
                "skus": ["IPOD2008RED", "IPOD2008BLACK"],
            },
        )
    ],
    "twilio_sms_form": [("track", "SMS Received", {"body": "Hello there!"})],
    "typeform_form_response": [
        ("identify", None, None),
        ("track", "Form Submitted", {"form": "Webhooks example", "rating": 5}),
    ],
    "drift_new_message": [
        (
            "track",
            "Message Received",
            {"conversation": 1063998474, "text": "Hi, can I book a demo?"},
        )
    ],
    "zuora_payment": [
        ("track", "Payment Processed", {"amount": 1499, "tenant": "prod"}),
        ("group", None, None),
    ],
    "pipedrive_deal_updated": [("track", "Deal Won", {"deal_id": 1302, "value": 5000})],
}


@pytest.mark.parametrize("provider", sorted(FUNCTIONS))
def test_provider_sample(pool, provider):
    result = pool.run(
        provider, FUNCTIONS[provider], sample(provider), {}, execution_id=f"exec-{provider}"
    )
    assert result.error is None, result.error
    assert [(e["type"], e.get("event"), e.get("properties")) for e in result.events] == EXPECTED[
        provider
    ]
    for event in result.events:
        assert event["messageId"] and event["timestamp"].endswith("Z")


def test_shopify_big_integers_behave_as_in_node(pool):
    result = pool.run("shopify", FUNCTIONS["shopify_order_create"], sample("shopify_order_create"))
    assert result.events[0]["userId"] == "706405506930370000"


def test_stripe_timestamp_from_date(pool):
    result = pool.run(
        "stripe", FUNCTIONS["stripe_charge_succeeded"], sample("stripe_charge_succeeded")
    )
    assert result.events[0]["timestamp"] == "2023-06-06T22:19:30.000Z"
    assert result.objects == []
