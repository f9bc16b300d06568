# ruff: noqa: E501  (JavaScript sources and payloads read better unwrapped)
"""fetch bridged to Python, and the network guard."""

import pytest

REQ = {"body": {}}


def fetch_result(pool, expression: str):
    code = f"async function onRequest() {{ let v; try {{ v = await ({expression}) }} catch (e) {{ v = {{ error: e.name, message: e.message, type: e.type }} }} Segment.track({{ userId: 'u', event: 'e', properties: {{ v }} }}) }}"
    result = pool.run(expression, code, REQ, timeout_ms=3000)
    assert result.error is None, result.error
    return result.events[0]["properties"]["v"], result.fetches


def test_fetch_json_and_records(private_pool, local_server):
    value, fetches = fetch_result(
        private_pool,
        f"fetch('{local_server}/json').then(r => r.json().then(b => [r.ok, r.status, r.headers.get('content-type'), b]))",
    )
    assert value == [True, 200, "application/json", {"ok": True, "n": 1}]
    assert fetches == [
        {
            "method": "GET",
            "url": f"{local_server}/json",
            "status": 200,
            "duration_ms": fetches[0]["duration_ms"],
        }
    ]


def test_post_with_body_form_and_redirect(private_pool, local_server):
    value, _ = fetch_result(
        private_pool,
        f"fetch('{local_server}/echo', {{ method: 'POST', body: JSON.stringify({{ a: 1 }}), headers: {{ 'Content-Type': 'application/json', Authorization: 'Bearer t' }} }}).then(r => r.json())",
    )
    assert value == {
        "method": "POST",
        "contentType": "application/json",
        "body": '{"a":1}',
        "authorization": "Bearer t",
    }
    value, _ = fetch_result(
        private_pool,
        f"(() => {{ const f = new FormData(); f.append('k', 'v'); return fetch('{local_server}/echo', {{ method: 'POST', body: f }}).then(r => r.json()) }})()",
    )
    assert (
        value["contentType"].startswith("multipart/form-data; boundary=")
        and 'name="k"' in value["body"]
    )
    value, _ = fetch_result(
        private_pool,
        f"fetch('{local_server}/redirect').then(r => [r.redirected, r.url.endsWith('/json')])",
    )
    assert value == [True, True]


def test_parallel_fetches_and_response_cap(private_pool, local_server):
    value, fetches = fetch_result(
        private_pool,
        f"Promise.all([1, 2, 3].map(() => fetch('{local_server}/json').then(r => r.status)))",
    )
    assert value == [200, 200, 200] and len(fetches) == 3
    value, _ = fetch_result(private_pool, f"fetch('{local_server}/big')")
    assert value["error"] == "FetchError" and value["type"] == "max-size"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/",
        "http://10.1.2.3/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://2130706433/",
        "http://0x7f.1/",
        "http://localhost:9/",
        "http://0.0.0.0/",
        "http://192.168.1.1/",
        "http://[fd00:ec2::254]/",
        "http://224.0.0.1/",
    ],
)
def test_private_destinations_are_refused_before_connecting(inline_pool, url, monkeypatch):
    import socket

    def no_connect(*args, **kwargs):
        raise AssertionError("the guard must refuse before connecting")

    monkeypatch.setattr(socket.socket, "connect", no_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", no_connect)
    value, fetches = fetch_result(inline_pool, f"fetch('{url}')")
    assert value["error"] == "FetchError"
    assert "refusing to connect" in value["message"]
    assert fetches[0]["status"] is None


def test_redirect_to_a_private_address_is_refused(inline_pool, local_server, monkeypatch):
    from runner import netguard

    real = netguard.is_public
    monkeypatch.setattr(
        netguard, "is_public", lambda address: str(address) == "127.0.0.1" or real(address)
    )
    code = f"async function onRequest() {{ try {{ await fetch('{local_server}/to-private') }} catch (e) {{ console.log(e.message) }} }}"
    result = inline_pool.run("redirect", code, REQ)
    assert "refusing to connect to 10.0.0.1" in result.logs[0]["message"]


def test_oauth2_token_request_goes_through_fetch(private_pool, local_server):
    code = f"""async function onRequest() {{
      const client = new OAuth.OAuth2('id', 'secret', '{local_server}/', null, 'echo');
      const body = await new Promise((resolve, reject) => client._request('POST', '{local_server}/echo', {{}}, 'grant_type=x', null,
        (err, data) => err ? reject(new Error(JSON.stringify(err))) : resolve(JSON.parse(data))));
      Segment.track({{ userId: 'u', event: 'e', properties: body }}) }}"""
    result = private_pool.run("oauth2", code, REQ, timeout_ms=3000)
    assert result.error is None, result.error
    assert result.events[0]["properties"]["body"] == "grant_type=x"


def test_a_refusal_does_not_reveal_what_the_host_resolved_to(inline_pool):
    """The message named the address ("refusing to connect to vm (127.0.0.1)"): a
    function could map an internal DNS through it."""
    value, _ = fetch_result(inline_pool, "fetch('http://localhost:9/')")
    assert value["error"] == "FetchError"
    assert "refusing to connect to localhost, a private address" in value["message"]
    assert "127.0.0.1" not in value["message"] and "::1" not in value["message"]
