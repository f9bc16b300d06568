# ruff: noqa: E501  (payloads read better unwrapped)
"""Each sender's handshake, end to end through the real webhook URL: the product as it is
served (`manage.py serve`: Daphne, the ASGI fast path, the embedded worker on the
interactive queue), a source made from each template through the API, and the request
as the sender sends it."""

import base64
import hashlib
import hmac
import json
import subprocess
import sys
import time
from urllib.parse import quote, urlencode

import httpx
import pytest

from tests.serving import ROOT, manage_py_serve, serve_environment

pytestmark = pytest.mark.integration

# Zoom's documented example (developers.zoom.us/docs/api/webhooks, "Validate your webhook
# endpoint"): this plainToken, under the secret token SECRET_TOKEN, is this encryptedToken.
ZOOM_SECRET = "SECRET_TOKEN"
ZOOM_PLAIN_TOKEN = "qgg8vlvZRS6UYooatFL8Aw"
ZOOM_ENCRYPTED_TOKEN = "23a89b634c017e5364a1c8d9c8ea909b60dd5599e2bb04bb1558d9c3a121faa5"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("handshakes")
    env = serve_environment(tmp, CELERY_EMBEDDED_WORKER="true")
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    made = subprocess.run(
        [sys.executable, "manage.py", "createworkspace", "acme", "--owner", "ada@acme.example"],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    token = made.stdout.strip().splitlines()[-1].removeprefix("token: ")
    with manage_py_serve(env, tmp / "serve.log") as url:
        api = httpx.Client(
            base_url=f"{url}/api/v1/workspaces/acme/",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        yield {"url": url, "api": api, "log": tmp / "serve.log"}
        api.close()


def connect(served, template: str, settings: dict) -> dict:
    """A source of a function made from the template, deployed as it comes."""
    api = served["api"]
    # A limit that leaves the sender's wait room for the worker's sandbox to start on a
    # busy machine (the first responding run of the module starts it).
    function = api.post(
        "functions/", json={"name": template.title(), "template": template, "time_limit_ms": 5000}
    )
    assert function.status_code == 201, function.text
    assert function.json()["responds"] is True
    deployed = api.post(f"functions/{function.json()['id']}/deploy/", json={})
    assert deployed.status_code == 201, deployed.text
    source = api.post(
        "sources/",
        json={"function": function.json()["id"], "name": f"{template} in", "settings": settings},
    )
    assert source.status_code == 201, source.text
    token = source.json()["webhook_url"].rsplit("/", 1)[1]
    return {**source.json(), "hook": f"{served['url']}/hooks/{token}"}


def last_execution(served, source: dict) -> dict:
    logs = served["api"].get(f"sources/{source['slug']}/logs/?limit=1").json()["results"]
    return logs[0]


def signed(secret: str, message: str) -> str:
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def test_slack_url_verification_echoes_the_challenge(served):
    secret = "8f742231b10e8888abcd99yyyzzz85a5"
    source = connect(served, "slack", {"signingSecret": secret})
    body = json.dumps(
        {
            "token": "Jhj5dZ",
            "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmd",
            "type": "url_verification",
        }
    )
    stamp = str(int(time.time()))
    answer = httpx.post(
        source["hook"],
        content=body,
        headers={
            "Content-Type": "application/json",
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": "v0=" + signed(secret, f"v0:{stamp}:{body}"),
        },
    )
    assert answer.status_code == 200, answer.text
    assert answer.text == "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmd"
    assert answer.headers["content-type"] == "text/plain"
    assert (
        answer.headers["content-security-policy"]
        == "sandbox; default-src 'none'; frame-ancestors 'none'"
    )
    # Slack's Request URL accepts POST only: anything else is refused before any row.
    refused = httpx.get(source["hook"])
    assert refused.status_code == 405 and refused.headers["allow"] == "POST"
    assert last_execution(served, source)["response"]["body"] == "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmd"


def test_zoom_url_validation_answers_as_zooms_documented_example(served):
    source = connect(served, "zoom", {"secretToken": ZOOM_SECRET})
    body = json.dumps(
        {
            "payload": {"plainToken": ZOOM_PLAIN_TOKEN},
            "event_ts": 1654503849680,
            "event": "endpoint.url_validation",
        }
    )
    stamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "x-zm-request-timestamp": stamp,
        "x-zm-signature": "v0=" + signed(ZOOM_SECRET, f"v0:{stamp}:{body}"),
    }
    answer = httpx.post(source["hook"], content=body, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/json"
    assert answer.json() == {"plainToken": ZOOM_PLAIN_TOKEN, "encryptedToken": ZOOM_ENCRYPTED_TOKEN}
    # Unsigned, the validation is no HMAC oracle: refused (500, without the reason).
    forged = httpx.post(
        source["hook"], content=body, headers={**headers, "x-zm-signature": "v0=00"}
    )
    assert forged.status_code == 500 and "signature" not in forged.text
    assert last_execution(served, source)["error"]["name"] == "ValidationError"


def test_meta_get_hub_challenge_then_signed_posts(served):
    app_secret = "6f1d2c3b4a5e6f708192a3b4c5d6e7f8"
    source = connect(served, "whatsapp", {"verifyToken": "meatyhamhock", "appSecret": app_secret})
    query = urlencode(
        {"hub.mode": "subscribe", "hub.challenge": "1158201444", "hub.verify_token": "meatyhamhock"}
    )
    answer = httpx.get(f"{source['hook']}?{query}")
    assert answer.status_code == 200, answer.text
    assert answer.text == "1158201444"
    wrong = httpx.get(f"{source['hook']}?hub.mode=subscribe&hub.challenge=1&hub.verify_token=guess")
    assert wrong.status_code == 403

    body = json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp", "metadata": {"phone_number_id": "106540352242922"},
        "contacts": [{"profile": {"name": "Sheena Nelson"}, "wa_id": "16505551234"}],
        "messages": [{"from": "16505551234", "id": "wamid.served1", "timestamp": "1714645013", "type": "text", "text": {"body": "Hi"}}],
    }}]}]})  # fmt: skip
    signature = "sha256=" + signed(app_secret, body)
    posted = httpx.post(
        source["hook"],
        content=body,
        headers={"Content-Type": "application/json", "X-Hub-Signature-256": signature},
    )
    assert posted.status_code == 200 and "id" in posted.json()  # returned nothing: the usual answer
    events = served["api"].get(f"sources/{source['slug']}/events/").json()["results"]
    assert {e["message"]["event"] for e in events if e["type"] == "track"} == {
        "WhatsApp Message Received"
    }
    bad = httpx.post(source["hook"], content=body, headers={"X-Hub-Signature-256": "sha256=00"})
    assert bad.status_code == 500


def test_microsoft_graph_validation_token_is_echoed_as_text(served):
    source = connect(served, "microsoft-graph", {"clientState": "secretClientValue"})
    token = (
        "Validation: Testing client application reachability for subscription Request-Id: 25b3c3b3"
    )
    answer = httpx.post(
        f"{source['hook']}?validationToken={quote(token, safe='')}",
        headers={"Content-Type": "text/plain; charset=utf-8"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.text == token and answer.headers["content-type"] == "text/plain"
    notification = {"value": [{"subscriptionId": "7f105c7d", "clientState": "secretClientValue", "changeType": "updated",
                               "resource": "Users/u1/Events/e1", "resourceData": {"@odata.type": "#Microsoft.Graph.Event", "id": "e1"}}]}  # fmt: skip
    accepted = httpx.post(source["hook"], json=notification)
    assert accepted.status_code == 202 and accepted.content == b""


def test_twilio_gets_twiml_back(served):
    source = connect(served, "twilio-sms", {"autoReply": "Thanks! We'll text you back."})
    form = {
        "MessageSid": "SMserved1",
        "AccountSid": "AC1",
        "From": "+12125550147",
        "To": "+14155550100",
        "Body": "Hello",
        "NumMedia": "0",
    }
    answer = httpx.post(source["hook"], data=form)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/xml"
    assert answer.text == (
        '<?xml version="1.0" encoding="UTF-8"?><Response><Message>Thanks! We&apos;ll text you back.</Message></Response>'
    )


def twilio_signature(token: str, url: str, form: dict) -> str:
    """Twilio's: base64 HMAC-SHA1 of the URL and each field's name and value, sorted."""
    signed_text = url + "".join(name + form[name] for name in sorted(form))
    digest = hmac.new(token.encode(), signed_text.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def test_twilio_signatures_are_checked_when_the_auth_token_is_set(served):
    token = "0123456789abcdef0123456789abcdef"
    source = connect(served, "twilio-sms", {"authToken": token})
    form = {"MessageSid": "SMsigned1", "AccountSid": "AC1", "From": "+1212", "To": "+1415",
            "Body": "Hello & good day", "NumMedia": "0"}  # fmt: skip
    # Signed for the URL the source shows, the one given to Twilio (PUBLIC_URL's).
    good = twilio_signature(token, source["webhook_url"], form)
    answer = httpx.post(source["hook"], data=form, headers={"X-Twilio-Signature": good})
    assert answer.status_code == 200, answer.text
    assert answer.text.endswith("<Response></Response>")

    forged = twilio_signature("not-the-token", source["webhook_url"], form)
    refused = httpx.post(source["hook"], data=form, headers={"X-Twilio-Signature": forged})
    assert refused.status_code == 500
    error = last_execution(served, source)["error"]
    assert error["name"] == "ValidationError"
    assert "X-Twilio-Signature does not match" in error["message"]
