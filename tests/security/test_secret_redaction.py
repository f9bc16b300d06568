# ruff: noqa: E501  (JavaScript sources and payloads read better unwrapped)
"""Secret settings never appear in what an execution records (issue 18.3): error
message and stack, console logs and fetch records show `[secret <name>]` instead, in
whatever spelling the value took (inside longer text, JSON, URL-encoded, base64). Events
and objects are the function's chosen output and are left alone. Through the runner's
Python API, its CLI, and the editor's test run."""

import base64
import json
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

import pytest

from runner import Invocation, IsolatePool, normalize_request, run

ROOT = Path(__file__).resolve().parents[2]
SECRET = "sk_live_51Hx/9+Qz=k"
SETTINGS = {"apiKey": SECRET, "region": "eu-west-1"}
REQ = {"body": {}}


class _Echo(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        body = b'{"ok": true}'
        self.send_response(500 if "fail" in self.path else 200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def closed_port():
    """A loopback port nothing listens on: a fetch there fails at the network."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def pool():
    pool = IsolatePool(max_isolates=2, allow_private_network=True)
    yield pool
    pool.close()


def execute(pool, code, settings=SETTINGS, secret_names=("apiKey",)):
    return pool.run("redact", code, REQ, settings, secret_names=secret_names, timeout_ms=5000)


def recorded(result) -> str:
    return json.dumps([result.error, result.logs, result.fetches])


def test_a_network_failure_does_not_show_the_key_of_its_url(pool, closed_port):
    code = f"""async function onRequest(request, settings) {{
      await fetch('http://127.0.0.1:{closed_port}/v1/track?api_key=' + settings.apiKey);
    }}"""
    result = execute(pool, code)
    assert result.error["name"] == "FetchError"
    assert "/v1/track?api_key=[secret apiKey] failed" in result.error["message"]
    assert "api_key=[secret apiKey]" in result.error["stack"]
    assert SECRET not in recorded(result)
    # Without the secret's name, the same run shows it: the redaction is what hides it.
    assert SECRET in execute(pool, code, secret_names=()).error["message"]


def test_console_logs_show_no_secret_in_any_spelling(pool):
    code = r"""async function onRequest(request, settings) {
      const key = settings.apiKey;
      console.log(key);
      console.log('Bearer ' + key + '!');
      console.log({ auth: { key } });
      console.info(JSON.stringify({ headers: { 'x-api-key': key } }));
      console.warn('https://api.example.com/?k=' + encodeURIComponent(key));
      console.error(new URLSearchParams({ k: key }).toString());
      console.log(btoa(key), Buffer.from(key).toString('base64'));
      console.log('Basic ' + btoa('user:' + key));
      console.log('jwt.' + btoa('{"sub":"' + key).replace(/\+/g, '-').replace(/\//g, '_'));
      console.log('region', settings.region);
    }"""
    result = execute(pool, code)
    assert result.error is None, result.error
    text = recorded(result)
    assert SECRET not in text
    assert quote(SECRET, safe="") not in text
    assert base64.b64encode(SECRET.encode()).decode() not in text
    assert "Basic dXNlcjpza19saXZl" not in text  # the key's start, inside the base64
    messages = [line["message"] for line in result.logs]
    assert messages[0] == "[secret apiKey]"
    assert messages[1] == "Bearer [secret apiKey]!"
    assert "[secret apiKey]" in messages[2]
    assert messages[3] == '{"headers":{"x-api-key":"[secret apiKey]"}}'
    assert messages[4] == "https://api.example.com/?k=[secret apiKey]"
    assert messages[5] == "k=[secret apiKey]"
    assert messages[6] == "[secret apiKey] [secret apiKey]"
    assert "[secret apiKey]" in messages[7] and "[secret apiKey]" in messages[8]
    assert messages[9] == "region eu-west-1"  # plain settings stay readable


def test_every_value_of_a_json_secret_is_redacted(pool):
    credentials = {
        "clientId": "client-0042",
        "clientSecret": "c0ffee-and-tea",
        "scopes": ["read:all", "ab"],
    }
    code = """async function onRequest(request, settings) {
      const c = settings.oauth;
      console.log('id=' + c.clientId + ' secret=' + c.clientSecret + ' scope=' + c.scopes[0]);
      console.log(JSON.stringify(c));
      throw new Error('token refused for ' + c.clientSecret);
    }"""
    result = execute(pool, code, settings={"oauth": credentials}, secret_names=["oauth"])
    messages = [line["message"] for line in result.logs]
    assert messages[0] == "id=[secret oauth] secret=[secret oauth] scope=[secret oauth]"
    assert messages[1] == "[secret oauth]"  # the whole JSON text
    assert result.error["message"] == "token refused for [secret oauth]"
    assert "c0ffee" not in recorded(result) and "client-0042" not in recorded(result)


def test_a_thrown_secret_is_redacted_from_message_and_stack(pool):
    code = """async function onRequest(request, settings) {
      function check(key) { throw new ValidationError(`key ${key} is not valid for ${settings.region}`); }
      check(settings.apiKey);
    }"""
    result = execute(pool, code)
    assert result.error["message"] == "key [secret apiKey] is not valid for eu-west-1"
    assert result.error["stack"].startswith("ValidationError: key [secret apiKey] is not valid")
    assert "function.js:2" in result.error["stack"]  # the stack still says where


def test_a_thrown_object_naming_the_secret_is_redacted(pool):
    code = "async function onRequest(request, settings) { throw { name: settings.apiKey, message: settings.apiKey + '?' }; }"
    result = execute(pool, code)
    assert (result.error["name"], result.error["message"]) == (
        "[secret apiKey]",
        "[secret apiKey]?",
    )
    assert SECRET not in recorded(result)


def test_fetch_records_show_no_secret(pool, server):
    code = f"""async function onRequest(request, settings) {{
      await fetch('{server}/hooks/' + settings.apiKey.slice(0, 8) + '/' + encodeURIComponent(settings.apiKey));
      await fetch('{server}/fail?key=' + settings.apiKey);
    }}"""
    result = execute(pool, code)
    assert result.error is None, result.error
    urls = [record["url"] for record in result.fetches]
    assert urls == [f"{server}/hooks/sk_live_/[secret apiKey]", f"{server}/fail?key=…"]
    assert [record["status"] for record in result.fetches] == [200, 500]


def test_refused_fetches_name_no_secret(pool):
    code = """async function onRequest(request, settings) {
      const outcomes = await Promise.allSettled(Array.from({ length: 51 }, () => fetch('http://10.0.0.1/' + settings.apiKey)));
      console.log(outcomes[50].reason.message);
    }"""
    result = execute(pool, code)
    assert result.logs == [
        {
            "level": "log",
            "message": "request to http://10.0.0.1/[secret apiKey] refused: over 50 fetch calls",
        }
    ]
    assert SECRET not in recorded(result)


def test_events_and_objects_keep_what_the_function_chose(pool):
    code = """async function onRequest(request, settings) {
      Segment.track({ userId: 'u', event: 'Key Used', properties: { key: settings.apiKey } });
      Segment.set({ collection: 'keys', id: '1', properties: { key: settings.apiKey } });
      console.log(settings.apiKey);
    }"""
    result = execute(pool, code)
    assert result.events[0]["properties"] == {"key": SECRET}
    assert result.objects[0]["properties"] == {"key": SECRET}
    assert result.logs == [{"level": "log", "message": "[secret apiKey]"}]


def test_each_invocation_of_a_batch_redacts_its_own_secrets():
    pool = IsolatePool(max_isolates=1)
    code = "async function onRequest(request, settings) { console.log(settings.token + ' ' + settings.other); }"
    invocations = [
        Invocation(
            normalize_request(REQ),
            {"token": "alpha-token-1", "other": "beta-token-2"},
            "a",
            ("token",),
        ),
        Invocation(
            normalize_request(REQ),
            {"token": "gamma-token-3", "other": "alpha-token-1"},
            "b",
            ("other",),
        ),
    ]
    first, second = pool.run_batch("batch", code, invocations)
    pool.close()
    assert first.logs == [{"level": "log", "message": "[secret token] beta-token-2"}]
    assert second.logs == [{"level": "log", "message": "gamma-token-3 [secret other]"}]


def test_the_one_shot_run_and_the_cli_take_secret_names(tmp_path):
    code = "async function onRequest(request, settings) { console.log('key: ' + settings.apiKey); }"
    result = run(code, REQ, SETTINGS, secret_names=["apiKey"])
    assert result.logs == [{"level": "log", "message": "key: [secret apiKey]"}]

    function, request, settings = tmp_path / "f.js", tmp_path / "r.json", tmp_path / "s.json"
    function.write_text(code)
    request.write_text('{"body": {}}')
    settings.write_text(json.dumps(SETTINGS))
    base = [
        sys.executable,
        "-m",
        "runner",
        "run",
        str(function),
        "--request",
        str(request),
        "--settings",
        str(settings),
    ]
    proc = subprocess.run(
        [*base, "--secret", "apiKey"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["logs"] == [{"level": "log", "message": "key: [secret apiKey]"}]
    assert SECRET not in proc.stdout
    typo = subprocess.run(
        [*base, "--secret", "apiKy"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert typo.returncode == 2 and typo.stdout == ""
    assert "--secret apiKy: the settings have no 'apiKy'" in typo.stderr


@pytest.mark.django_db
def test_the_editors_test_run_redacts_encrypted_settings(owner_api, celery_worker):
    from tests.catalog.helpers import API, API_KEY, REGION, create_function

    code = "async function onRequest(request, settings) { console.log('calling with ' + settings.apiKey + ' in ' + settings.region); throw new RetryError('refused: ' + settings.apiKey); }"
    function = create_function(owner_api, code=code, settings=[REGION, API_KEY])
    owner_api.patch(
        f"{API}/functions/{function['id']}/test-settings/",
        {"settings": {"apiKey": SECRET, "region": "eu"}},
        format="json",
    )
    response = owner_api.post(
        f"{API}/functions/{function['id']}/test/", {"request": REQ}, format="json"
    )
    assert response.status_code == 200, response.json()
    result = response.json()
    assert result["logs"] == [{"level": "log", "message": "calling with [secret apiKey] in eu"}]
    assert result["error"]["message"] == "refused: [secret apiKey]"
    assert SECRET not in response.content.decode()


# An outside attack (issue 18.8): the fetch record's query masking decoded the URL before
# redaction saw it, a host name showed a secret lowercased, a JSON.parse error showed a
# window of one, and an error's text had no size.
QUERY_SECRET = "Ab+Cd/Ef9Gh8Ij=="
AMPERSAND_SECRET = "Ab&cdEF=gh+ij"


@pytest.mark.parametrize(
    ("values", "url", "error_url", "record_url"),
    [
        (
            {"apiKey": QUERY_SECRET},
            "'https://x.example.invalid/?' + settings.apiKey",
            "https://x.example.invalid/?[secret apiKey] failed",
            "https://x.example.invalid/?[secret apiKey]=…",
        ),
        (
            {"apiKey": QUERY_SECRET},
            "'https://x.example.invalid/cb?a=1&' + settings.apiKey",
            "https://x.example.invalid/cb?a=1&[secret apiKey] failed",
            "https://x.example.invalid/cb?a=…&[secret apiKey]=…",
        ),
        (
            {"apiKey": AMPERSAND_SECRET},
            "'https://x.example.invalid/?api_key=' + settings.apiKey",
            "https://x.example.invalid/?api_key=[secret apiKey] failed",
            "https://x.example.invalid/?api_key=…",
        ),
    ],
)
def test_the_fetch_record_redacts_the_url_before_masking_its_query(
    pool, values, url, error_url, record_url
):
    code = f"async function onRequest(request, settings) {{ await fetch({url}); }}"
    result = execute(pool, code, settings=values)
    assert error_url in result.error["message"]
    assert [record["url"] for record in result.fetches] == [record_url]
    text = recorded(result)
    secret = values["apiKey"]
    for part in (secret, secret.replace("+", " "), secret[3:], secret.split("&")[-1][:6]):
        assert part not in text


def test_a_secret_in_a_host_name_is_redacted_in_any_case(pool):
    code = "async function onRequest(request, settings) { await fetch('https://' + settings.plain + '.example.invalid/'); }"
    result = execute(pool, code, settings={"plain": "HostSecretAbc123"}, secret_names=("plain",))
    assert "ENOTFOUND [secret plain].example.invalid" in result.error["message"]
    assert [record["url"] for record in result.fetches] == [
        "https://[secret plain].example.invalid/"
    ]
    assert "hostsecretabc123" not in recorded(result).lower()


def test_a_secret_is_redacted_upper_and_lowercased(pool):
    code = "async function onRequest(request, settings) { console.log(settings.plain.toUpperCase(), settings.plain.toLowerCase(), settings.short.toUpperCase()); }"
    values = {"plain": "HostSecretAbc123", "short": "aB1"}
    result = execute(pool, code, settings=values, secret_names=("plain", "short"))
    # Shorter than 6 characters, another case would match too much to be redacted.
    assert result.logs == [{"level": "log", "message": "[secret plain] [secret plain] AB1"}]


def test_a_json_parse_error_does_not_show_a_window_of_the_secret(pool):
    code = "async function onRequest(request, settings) { JSON.parse(settings.apiKey); }"
    result = execute(pool, code, settings={"apiKey": "S3cr3t/Key-not-json-0123"})
    assert result.error["name"] == "SyntaxError"
    assert (
        result.error["message"] == "Unexpected token 'S', \"[secret apiKey]\"... is not valid JSON"
    )
    assert "S3cr3t" not in recorded(result)
    # A window that is not part of a secret is left as V8 wrote it.
    other = execute(pool, "async function onRequest() { JSON.parse('Some/other-text-here'); }")
    assert (
        other.error["message"] == "Unexpected token 'S', \"Some/other-text-here\" is not valid JSON"
    )


def test_a_secret_across_the_cut_of_a_long_error_is_redacted_before_the_cut(pool):
    from runner.redact import ERROR_TEXT_CHARS

    code = f"async function onRequest(request, settings) {{ throw new Error('x'.repeat({ERROR_TEXT_CHARS - 5}) + settings.apiKey + 'y'.repeat(100000)); }}"
    result = execute(pool, code)
    message = result.error["message"]
    assert message.startswith("x" * (ERROR_TEXT_CHARS - 5) + "[secr… [")
    assert message.endswith(" characters cut]")
    assert SECRET[:5] not in recorded(result)
