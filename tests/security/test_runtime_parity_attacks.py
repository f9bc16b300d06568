# ruff: noqa: E501  (JavaScript sources read better unwrapped)
"""Attacks on what issue 15 added to the runtime (Segment's libraries and the Node https
module, `cache`, per-function time limits, the refusal of the product's own webhook
URLs), as a hostile function author or a webhook sender would make them, through the
runner's CLI and Python API and the production cache store. Each test is a hole that
was open: it fails on the code before its fix.

The servers are on loopback only; the functions run in sandbox processes (never in
this process, whose socket guard would refuse the IPv6 spellings tried here)."""

import json
import os
import string
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import product
from pathlib import Path

import pytest
from django.conf import settings

import runner
from runner import CacheBounds, Invocation, IsolatePool, Limits, MemoryCache, normalize_request

ROOT = Path(__file__).resolve().parents[2]
REFUSAL = "a function cannot send to its own webhook URLs"


class _Recorder(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        self.server.paths.append(self.path)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"reached")

    do_POST = do_GET

    def log_message(self, *args):
        pass


@pytest.fixture
def product_server():
    """Stands for the product: on loopback, recording every path it is sent."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    server.paths = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


FETCH = """
async function onRequest(request) {
  try {
    const response = await fetch(request.json().url);
    console.log('sent', response.status);
  } catch (err) {
    console.log(err.name, err.code, err.message);
  }
}
"""


def run_cli(tmp_path, code: str, body: dict, env: dict | None = None) -> tuple[int, dict | str]:
    function, request = tmp_path / "function.js", tmp_path / "request.json"
    function.write_text(code)
    request.write_text(json.dumps({"body": body}))
    proc = subprocess.run(
        [sys.executable, "-m", "runner", "run", str(function), "--request", str(request)],
        cwd=ROOT, capture_output=True, text=True, timeout=60, env={**os.environ, **(env or {})},
    )  # fmt: skip
    try:
        return proc.returncode, json.loads(proc.stdout)
    except ValueError:
        return proc.returncode, proc.stderr


# --- A URL the bridge cannot record failed the whole batch -------------------------------
# fetch records are made from the URL as the function wrote it; a port that is not a
# number (written by the function, by an SDK's options, or taken from a webhook's body)
# raised out of the record, so the runner failed: the CLI printed a traceback and no
# JSON, and a worker's whole batch (every source of the version) became an
# InfrastructureError, retried again and again.


def test_a_fetch_to_a_url_with_a_bad_port_fails_that_call_only(tmp_path):
    code = """
async function onRequest(request) {
  try { await fetch('http://example.com:notaport/x?key=1'); } catch (err) { console.log(err.name, err.message); }
}"""
    status, out = run_cli(tmp_path, code, {})
    assert status == 0, out
    assert out["error"] is None
    assert out["logs"][0]["message"].startswith(
        "FetchError request to http://example.com:notaport/x"
    )
    assert out["fetches"] == [
        {
            "method": "GET",
            "url": "(an invalid URL)",
            "status": None,
            "duration_ms": out["fetches"][0]["duration_ms"],
        }
    ]


def test_a_webhook_that_names_a_bad_port_cannot_fail_the_other_webhooks_of_its_batch():
    # A function that fetches a URL its webhook names, as many do; the sender is anyone.
    pool = IsolatePool(max_isolates=1)
    try:
        invocations = [
            Invocation(normalize_request({"body": {"url": url}}), cache_scope=f"s{n}")
            for n, url in enumerate(
                ["http://example.com:99999999999/", "http://[::1]:x/", "http://a.invalid:-1/"]
            )
        ]
        results = pool.run_batch("v", FETCH, invocations)
    finally:
        pool.close()
    assert [r.error for r in results] == [None, None, None]
    assert all(r.logs[0]["message"].startswith("FetchError") for r in results)


def test_the_https_module_with_a_bad_port_is_an_error_event_of_the_request(tmp_path):
    code = """
async function onRequest(request) {
  const said = await new Promise((resolve) => {
    const req = https.get({ hostname: 'example.com', port: 'x', path: '/' }, () => resolve('answered'));
    req.on('error', (err) => resolve(err.message));
  });
  console.log(said);
}"""
    status, out = run_cli(tmp_path, code, {})
    assert status == 0, out
    assert out["logs"][0]["message"].startswith("request to https://example.com:x/ failed")


def test_the_refusal_of_an_ipv6_webhook_host_shows_the_host_in_brackets():
    # Refused by its name before any lookup: the URL shown was http://::1:8000/hooks/…,
    # which is not a URL, and making the fetch record of it failed the run.
    result = runner.run(
        FETCH, {"body": {"url": "http://[::1]:8000/hooks/tok123"}},
        allow_private_network=True, own_webhook_urls=["http://[::1]:8000/hooks/"],
    )  # fmt: skip
    shown = "http://[::1]:8000/hooks/…"
    assert result.error is None
    assert (
        result.logs[0]["message"]
        == f"FetchError EWEBHOOKLOOP request to {shown} failed, reason: {REFUSAL}"
    )
    assert result.fetches[0]["url"] == shown and "tok123" not in json.dumps(result.to_dict())


# --- The own-webhook refusal, around by an IPv4 address written as IPv6 -------------------
# A request was refused when it connected to one of the server's own addresses; the
# address was compared as written, so the product's IPv4 address (here loopback, in
# production its public one) spelled as an IPv4-mapped IPv6 address reached the
# webhook: a function could post to a source, its own included, in a loop.


@pytest.mark.parametrize(
    "host", ["[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "[0:0:0:0:0:ffff:127.0.0.1]"]
)
def test_the_servers_own_address_written_as_ipv6_is_refused(product_server, host):
    port = product_server.server_address[1]
    result = runner.run(
        FETCH, {"body": {"url": f"http://{host}:{port}/hooks/tok123"}},
        allow_private_network=True, own_webhook_urls=[f"http://127.0.0.1:{port}/hooks/"],
    )  # fmt: skip
    assert result.error is None
    assert result.logs[0]["message"].endswith(REFUSAL), result.logs
    assert product_server.paths == []


# --- A cache store whose work grew with what a source had stored -------------------------
# The memory store (the embedded mode's, all sources of a worker behind one lock) looked
# at every value of a scope on each store, for the expired ones: a source that kept
# thousands of small values made each of its cache.load calls slower, and the time went
# by outside its time limit, in the worker's own Python, while every other source's
# cache waited for the lock.

STORE_MANY = """
async function onRequest(request) {
  const { prefix, count } = request.json();
  const keys = Array.from({ length: count }, (_, i) => prefix + '.' + i);
  await Promise.all(keys.map((key) => cache.load(key, 3600000, () => 1)));
  console.log('stored', count);
}
"""


def test_a_source_with_many_small_values_keeps_its_executions_within_their_limit():
    store, pool = MemoryCache(), IsolatePool(max_isolates=1)
    limits = Limits(timeout_ms=2000)  # each run takes 50 ms, 150 ms on a loaded machine
    try:
        pool.run("many", STORE_MANY, {"body": {"prefix": "warm", "count": 1}}, cache=store)
        results = [
            pool.run(
                "many",
                STORE_MANY,
                {"body": {"prefix": f"p{n}", "count": 500}},
                limits=limits,
                cache=store,
                cache_scope="w1.s1",
            )
            for n in range(60)
        ]
    finally:
        pool.close()
    assert [r.error for r in results] == [None] * 60
    assert store.scope_bytes("w1.s1") > 60 * 500 * 5


# --- One store of the Redis cache could stall Redis for seconds --------------------------
# In production every worker's cache, Celery's broker and the live channels share one
# Redis, which runs one script at a time. A store removed every expired value of its
# source in one script: a source that kept a quarter of a million tiny values with a
# short ttl made its next store block Redis for about 3 s (measured), for everyone.


@pytest.fixture
def redis_store():
    import redis

    from ingest.execute.cache import RedisCache

    url = settings.REDIS_URL or os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/0")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
    except redis.RedisError:
        if os.environ.get("REQUIRE_SERVICES"):
            pytest.fail(f"needs Redis at {url}")
        pytest.skip(f"needs Redis at {url}")
    prefix = f"fcache-test-{uuid.uuid4().hex}"
    store = RedisCache(url, CacheBounds(), prefix=prefix)
    store.url = url
    yield store
    keys = list(store._client.scan_iter(f"{prefix}:*"))
    if keys:
        store._client.delete(*keys)


def _tiny_keys(count: int) -> list[str]:
    alphabet = string.ascii_letters + string.digits
    return [
        "".join(chars) for chars, _ in zip(product(alphabet, repeat=3), range(count), strict=False)
    ]


def test_one_store_does_a_bounded_amount_of_work_in_redis(redis_store):
    import redis

    # Stored by the store's own script, as cache.load stores them, many per round trip
    # (on a client of the test's own, which waits however long a busy machine takes).
    filler = redis.Redis.from_url(redis_store.url)
    keys, pipe = _tiny_keys(60_000), filler.pipeline(transaction=False)
    ttl_ms, scope_keys = 6000, redis_store.keys("w1.s1")
    for index, key in enumerate(keys):
        args = [key, "1", ttl_ms, int(time.time() * 1000), 1 << 20, 3600, 100]
        redis_store._put(keys=scope_keys, args=args, client=pipe)
        if index % 2000 == 1999:
            pipe.execute()
    pipe.execute()
    filler.close()
    time.sleep(ttl_ms / 1000 + 0.2)  # all of them expired
    started = time.monotonic()
    assert redis_store.put("w1.s1", "next", "1", None) is None
    took = time.monotonic() - started
    assert took < 0.05, f"one store held Redis for {took:.2f} s"
    assert redis_store.get("w1.s1", "next") == "1"


def test_one_store_does_a_bounded_amount_of_work_in_memory():
    store = MemoryCache()
    for key in _tiny_keys(15_000):
        store.put("w1.s1", key, "1", 3_600_000)
    started = time.monotonic()
    for n in range(1000):
        store.put("w1.s1", f"more.{n}", "1", None)
    took = time.monotonic() - started
    assert took < 0.5, f"1,000 stores took {took:.2f} s"


# --- Isolates remade after every run, outside any time budget ----------------------------
# A library a function names is compiled when its isolate is made (twilio and hubspot
# about 0.8 s, all of them about 1.7 s), outside the function's time limit. An isolate a
# run leaves unusable (RegExp.prototype changed, or a limit reached) is made again for
# the next run of the batch: a 100 ms function that did both made each of its runs cost
# about a second. Its batch, promised to end within Limits.batch_deadline_s (the claim a
# worker holds on its events is sized from it), ran on five times as long or more, so the
# claims lapsed and the sweep handed the events to another worker while they still ran.

TAINTS_EVERY_RUN = """// uses stripe, twilio, sendgrid, hubspotlib, jsforce, nodemailjet, https, moment,
// jsonwebtoken, xml2js, zlib, winstonlib and uuidv5
async function onRequest(request) {
  RegExp.prototype.taint = 1;
  Segment.track({ event: 'ran', userId: 'u1' });
}
"""


def test_a_batch_that_remakes_its_isolate_after_every_run_ends_within_its_deadline():
    count, limits = 20, Limits(timeout_ms=100)
    pool = IsolatePool(max_isolates=1)
    try:
        pool.run("warm-up", "async function onRequest() {}", {"body": {}})  # the sandbox started
        invocations = [
            Invocation(normalize_request({"body": {}}), cache_scope="s") for _ in range(count)
        ]
        started = time.monotonic()
        results = pool.run_batch("taints", TAINTS_EVERY_RUN, invocations, limits=limits)
        took = time.monotonic() - started
    finally:
        pool.close()
    assert took < limits.batch_deadline_s(count) + 1.5, f"the batch took {took:.1f} s"
    ran = [r for r in results if r.error is None]
    assert ran and all(r.events[0]["event"] == "ran" for r in ran)
    for result in results[len(ran) :]:
        assert result.error["name"] == "TimeoutError"
        assert "needed a new isolate" in result.error["message"]


# The same after a crash: what a sandbox that died had not reported ran again one
# execution per call, each with a deadline of its own and a new isolate (and often a
# new sandbox). A function that crashed V8 on every run made its batch of 30 take
# about 20 s against its 9 s.

CRASHES_EVERY_RUN = "async function onRequest() { 'x'.repeat(2 ** 29 - 30).split(''); }"


def test_a_batch_that_crashes_its_sandbox_on_every_run_ends_within_its_deadline():
    count, limits = 30, Limits(timeout_ms=100)
    pool = IsolatePool(max_isolates=1)
    try:
        invocations = [
            Invocation(normalize_request({"body": {}}), cache_scope="s") for _ in range(count)
        ]
        started = time.monotonic()
        results = pool.run_batch("crashes", CRASHES_EVERY_RUN, invocations, limits=limits)
        took = time.monotonic() - started
    finally:
        pool.close()
    # The last run again may start just before the batch's time is up, and have a
    # sandbox's deadline of its own.
    assert took < limits.batch_deadline_s(count) + limits.batch_deadline_s(1) + 3, (
        f"the batch took {took:.1f} s"
    )
    names = [r.error["name"] for r in results]
    assert set(names) == {"MemoryLimitError", "TimeoutError"}
    assert all(
        "ran out of time" in r.error["message"]
        for r in results
        if r.error["name"] == "TimeoutError"
    )


# --- The own-webhook refusal knew only PUBLIC_URL's host ---------------------------------
# The product answers /hooks/ under every name of ALLOWED_HOSTS. A second name of its own
# that resolves elsewhere than PUBLIC_URL's host (another load balancer, an internal
# name) was neither refused by name nor by address: the function reached a source.


@pytest.mark.django_db
def test_every_name_the_product_answers_to_is_refused_in_the_editor_and_in_sources(
    owner_api, celery_worker, settings
):
    from ingest.execute import runtime
    from tests.catalog.helpers import API, create_function

    settings.PUBLIC_URL = "https://hooks.example.test"
    settings.ALLOWED_HOSTS = [
        "hooks.example.test",
        "IDE.example.test",
        ".example.test",
        "testserver",
    ]
    function = create_function(owner_api, code=FETCH)
    request = {"method": "POST", "url": "https://example.com/hook", "headers": {},
               "body": {"url": "https://ide.example.test./hooks/some-source-token"}}  # fmt: skip
    ran = owner_api.post(
        f"{API}/functions/{function['id']}/test/", {"request": request}, format="json"
    ).json()
    assert (
        ran["logs"][0]["message"]
        == f"FetchError EWEBHOOKLOOP request to https://ide.example.test./hooks/… failed, reason: {REFUSAL}"
    )
    assert (
        "https://IDE.example.test/hooks/" in runtime.own_webhook_urls()
    )  # what the workers' pool is given
