# ruff: noqa: E501  (JavaScript sources read better unwrapped)
"""The SDKs of Segment's runtime page, each making a real call against a local https
stand-in of its API that answers as the API documents, through `python -m runner run`.
Every call goes through the runner's fetch bridge: it is in the result's fetch records,
the network guard applies to it, and a secret setting is redacted from the records."""

import base64

from tests.runner.api_stub import run_cli, track_value


def run_sdk(tmp_path, stub, certificate, code, **kwargs):
    settings = {"token": "tok_live_secret", "base": stub.url, "host": stub.url.split("//")[1]}
    return run_cli(
        tmp_path,
        code,
        settings=settings,
        private_network=True,
        trust=certificate,
        secrets=("token",),
        **kwargs,
    )


def assert_one_recorded_call(result, stub, method, path):
    assert [(f["method"], f["url"].split("?")[0], f["status"]) for f in result["fetches"]] == [
        (method, f"{stub.url}{path}", stub.routes[(method, path)][0])
    ]
    assert "tok_live_secret" not in str(result)


def test_stripe_retrieves_a_customer(tmp_path, api_stub, stub_certificate):
    api_stub.answer(
        "GET",
        "/v1/customers/cus_1",
        {"id": "cus_1", "object": "customer", "email": "jane@example.com", "metadata": {}},
    )
    code = """async function onRequest(request, settings) {
      const [host, port] = settings.host.split(':');
      const client = stripe(settings.token, { host, port, protocol: 'https' });
      const customer = await client.customers.retrieve('cus_1');
      Segment.identify({ userId: customer.id, traits: { email: customer.email } });
    }"""
    result = run_sdk(tmp_path, api_stub, stub_certificate, code)
    assert result["error"] is None, result["error"]
    assert result["events"][0]["userId"] == "cus_1" and result["events"][0]["traits"] == {
        "email": "jane@example.com"
    }
    seen = api_stub.only()
    assert seen.headers["authorization"] == "Bearer tok_live_secret"
    assert seen.headers["user-agent"] == "Stripe/v1 NodeBindings/8.115.0"
    assert_one_recorded_call(result, api_stub, "GET", "/v1/customers/cus_1")


def test_stripe_api_errors_are_stripe_errors(tmp_path, api_stub, stub_certificate):
    api_stub.answer(
        "GET",
        "/v1/customers/cus_x",
        {
            "error": {
                "type": "invalid_request_error",
                "message": "No such customer: 'cus_x'",
                "code": "resource_missing",
            }
        },
        status=404,
    )
    code = """async function onRequest(request, settings) {
      const [host, port] = settings.host.split(':');
      const client = stripe(settings.token, { host, port, protocol: 'https', maxNetworkRetries: 0 });
      try { await client.customers.retrieve('cus_x'); } catch (e) {
        Segment.track({ userId: 'u', event: 'e', properties: { v: [e.type, e.statusCode, e.code, e.message] } });
      }
    }"""
    v = track_value(run_sdk(tmp_path, api_stub, stub_certificate, code))
    assert v == ["StripeInvalidRequestError", 404, "resource_missing", "No such customer: 'cus_x'"]


def test_twilio_creates_a_message(tmp_path, api_stub, stub_certificate):
    api_stub.answer(
        "POST",
        "/2010-04-01/Accounts/AC123/Messages.json",
        {
            "sid": "SM1",
            "status": "queued",
            "to": "+15551234567",
            "from": "+15557654321",
            "body": "Your order shipped",
        },
        status=201,
    )
    code = """async function onRequest(request, settings) {
      const client = twilio('AC123', settings.token);
      client.api.baseUrl = settings.base;
      const message = await client.messages.create({ to: '+15551234567', from: '+15557654321', body: 'Your order shipped' });
      Segment.track({ userId: 'u', event: 'SMS Sent', properties: { v: [message.sid, message.status, message.to] } });
    }"""
    result = run_sdk(tmp_path, api_stub, stub_certificate, code)
    assert track_value(result) == ["SM1", "queued", "+15551234567"]
    seen = api_stub.only()
    assert seen.form() == {
        "To": ["+15551234567"],
        "From": ["+15557654321"],
        "Body": ["Your order shipped"],
    }
    assert (
        seen.headers["authorization"]
        == "Basic " + base64.b64encode(b"AC123:tok_live_secret").decode()
    )
    assert_one_recorded_call(result, api_stub, "POST", "/2010-04-01/Accounts/AC123/Messages.json")


def test_sendgrid_mail_sends_and_the_client_requests(tmp_path, api_stub, stub_certificate):
    api_stub.answer("POST", "/v3/mail/send", None, status=202)
    api_stub.answer("GET", "/v3/scopes", {"scopes": ["mail.send"]})
    code = """async function onRequest(request, settings) {
      sendgrid.mail.setApiKey(settings.token);
      sendgrid.mail.client.setDefaultRequest('baseUrl', settings.base);
      const [sent] = await sendgrid.mail.send({ to: 'jane@example.com', from: 'shop@example.com', subject: 'Welcome', text: 'Hello Jane' });
      sendgrid.client.setApiKey(settings.token);
      sendgrid.client.setDefaultRequest('baseUrl', settings.base);
      const [response, body] = await sendgrid.client.request({ method: 'GET', url: '/v3/scopes' });
      Segment.track({ userId: 'u', event: 'Mail Sent', properties: { v: [sent.statusCode, response.statusCode, body.scopes] } });
    }"""
    result = run_sdk(tmp_path, api_stub, stub_certificate, code)
    assert track_value(result) == [202, 200, ["mail.send"]]
    mail = api_stub.seen[0]
    assert mail.json()["personalizations"] == [{"to": [{"email": "jane@example.com"}]}]
    assert mail.headers["authorization"] == "Bearer tok_live_secret"
    assert [f["status"] for f in result["fetches"]] == [202, 200]


def test_hubspot_gets_a_contact(tmp_path, api_stub, stub_certificate):
    api_stub.answer(
        "GET",
        "/crm/v3/objects/contacts/51",
        {
            "id": "51",
            "properties": {"email": "jane@example.com", "firstname": "Jane"},
            "createdAt": "2021-01-01T00:00:00.000Z",
            "updatedAt": "2021-01-02T00:00:00.000Z",
            "archived": False,
        },
    )
    code = """async function onRequest(request, settings) {
      const client = new hubspotlib.hubspot.Client({ accessToken: settings.token, basePath: settings.base });
      const contact = await client.crm.contacts.basicApi.getById('51', ['email', 'firstname']);
      Segment.identify({ userId: contact.id, traits: { email: contact.properties.email, updated: contact.updatedAt.toISOString() } });
    }"""
    result = run_sdk(tmp_path, api_stub, stub_certificate, code)
    assert result["error"] is None, result["error"]
    assert result["events"][0]["traits"] == {
        "email": "jane@example.com",
        "updated": "2021-01-02T00:00:00.000Z",
    }
    seen = api_stub.only()
    assert seen.query == {"properties": ["email,firstname"]}
    assert seen.headers["authorization"] == "Bearer tok_live_secret"
    assert_one_recorded_call(result, api_stub, "GET", "/crm/v3/objects/contacts/51")


def test_jsforce_queries(tmp_path, api_stub, stub_certificate):
    api_stub.answer(
        "GET",
        "/services/data/v42.0/query",
        {
            "totalSize": 2,
            "done": True,
            "records": [
                {"attributes": {"type": "Account"}, "Id": "001A", "Name": "Acme"},
                {"attributes": {"type": "Account"}, "Id": "001B", "Name": "Globex"},
            ],
        },
    )
    code = """async function onRequest(request, settings) {
      const conn = new jsforce.Connection({ instanceUrl: settings.base, accessToken: settings.token });
      const result = await conn.query("SELECT Id, Name FROM Account WHERE Industry = 'Retail'");
      Segment.track({ userId: 'u', event: 'Accounts', properties: { v: [result.totalSize, result.records.map((r) => r.Name)] } });
    }"""
    result = run_sdk(tmp_path, api_stub, stub_certificate, code)
    assert track_value(result) == [2, ["Acme", "Globex"]]
    seen = api_stub.only()
    assert seen.query == {"q": ["SELECT Id, Name FROM Account WHERE Industry = 'Retail'"]}
    assert seen.headers["authorization"] == "Bearer tok_live_secret"
    assert_one_recorded_call(result, api_stub, "GET", "/services/data/v42.0/query")


def test_mailjet_sends_in_both_the_v3_and_the_current_style(tmp_path, api_stub, stub_certificate):
    api_stub.answer(
        "POST",
        "/v3.1/send",
        {
            "Messages": [
                {"Status": "success", "To": [{"Email": "jane@example.com", "MessageID": 1}]}
            ]
        },
    )
    code = """async function onRequest(request, settings) {
      const mailJet = nodemailjet.nodemailjet;
      const message = { Messages: [{ From: { Email: 'shop@example.com' }, To: [{ Email: 'jane@example.com' }], Subject: 'Hi', TextPart: 'Hello' }] };
      const old = await mailJet.connect('public-key', settings.token, { config: { host: settings.host } }).post('send', { version: 'v3.1' }).request(message);
      const current = await mailJet.apiConnect('public-key', settings.token, { config: { host: settings.host } }).post('send', { version: 'v3.1' }).request(message);
      Segment.track({ userId: 'u', event: 'Mail', properties: { v: [old.body.Messages[0].Status, current.response.status] } });
    }"""
    result = run_sdk(tmp_path, api_stub, stub_certificate, code)
    assert track_value(result) == ["success", 200]
    assert len(api_stub.seen) == 2
    assert api_stub.seen[0].json()["Messages"][0]["To"] == [{"Email": "jane@example.com"}]
    assert (
        api_stub.seen[0].headers["authorization"]
        == "Basic " + base64.b64encode(b"public-key:tok_live_secret").decode()
    )
    assert [f["status"] for f in result["fetches"]] == [200, 200]


def test_https_request_and_get(tmp_path, api_stub, stub_certificate):
    api_stub.answer("GET", "/orders/7", {"id": 7})
    api_stub.answer("POST", "/orders", {"created": True}, status=201)
    code = """async function onRequest(request, settings) {
      const read = (res) => new Promise((resolve) => { let data = ''; res.setEncoding('utf8'); res.on('data', (c) => { data += c; }); res.on('end', () => resolve([res.statusCode, res.headers['content-type'], JSON.parse(data)])); });
      const got = await new Promise((resolve, reject) => https.get(settings.base + '/orders/7', (res) => read(res).then(resolve)).on('error', reject));
      const posted = await new Promise((resolve, reject) => {
        const [hostname, port] = settings.host.split(':');
        const req = https.request({ hostname, port, path: '/orders', method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: 'Bearer ' + settings.token } }, (res) => read(res).then(resolve));
        req.on('error', reject);
        req.write(JSON.stringify({ item: 'book' }));
        req.end();
      });
      let refused;
      try { https.get('http://example.com/'); } catch (e) { refused = [e.code, e.message]; }
      Segment.track({ userId: 'u', event: 'https', properties: { v: [got, posted, refused] } });
    }"""
    result = run_sdk(tmp_path, api_stub, stub_certificate, code)
    assert track_value(result) == [
        [200, "application/json", {"id": 7}],
        [201, "application/json", {"created": True}],
        ["ERR_INVALID_PROTOCOL", 'Protocol "http:" not supported. Expected "https:"'],
    ]
    assert api_stub.seen[1].json() == {"item": "book"}
    assert api_stub.seen[1].headers["authorization"] == "Bearer tok_live_secret"
    assert "tok_live_secret" not in str(result)


def test_the_network_guard_stops_the_sdks_too(tmp_path, api_stub, stub_certificate):
    # Without the operator's private-network switch, a loopback API is refused for every
    # SDK as for fetch; the stub sees nothing.
    code = """async function onRequest(request, settings) {
      const [host, port] = settings.host.split(':');
      const out = [];
      try { await stripe('sk', { host, port, protocol: 'https', maxNetworkRetries: 0 }).customers.retrieve('cus_1'); } catch (e) { out.push(e.type + ': ' + e.message); }
      const client = twilio('AC123', 'token'); client.api.baseUrl = settings.base;
      try { await client.messages.create({ to: '+1', from: '+2', body: 'x' }); } catch (e) { out.push(e.message); }
      try { await new jsforce.Connection({ instanceUrl: settings.base, accessToken: 'x' }).query('SELECT Id FROM Account'); } catch (e) { out.push(e.message); }
      await new Promise((resolve) => https.get(settings.base + '/x').on('error', (e) => { out.push(e.code); resolve(); }));
      Segment.track({ userId: 'u', event: 'blocked', properties: { v: out } });
    }"""
    result = run_cli(
        tmp_path,
        code,
        settings={"base": api_stub.url, "host": api_stub.url.split("//")[1]},
        trust=stub_certificate,
    )
    messages = track_value(result)
    assert len(messages) == 4 and messages[3] == "EBLOCKED", messages
    assert messages[0] == "StripeConnectionError: An error occurred with our connection to Stripe."
    assert all("are not reachable from functions" in m for m in messages[1:3]), messages
    assert api_stub.seen == []
    assert len(result["fetches"]) == 4 and all(f["status"] is None for f in result["fetches"])
