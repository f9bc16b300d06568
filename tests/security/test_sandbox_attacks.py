"""The attacker's view of the sandbox: hostile functions through the runner's Python
API and its warm isolate pool (so isolates are reused, as in a worker). Every attack
is contained with a clear error (or harmlessly does nothing), and the worker stays
healthy: a normal function runs right after each one on the same pool.

Fetch abuse never sends traffic beyond loopback: the only servers are on 127.0.0.1,
every socket connect of the test process is recorded, and the suite fails if one goes
anywhere else or reaches a server it should have been refused before connecting.
The runner's own tests are in tests/runner/."""

import http.server
import socket
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

import runner

ROOT = Path(__file__).resolve().parents[2]
LIMIT_MS = 300  # short, so the limit attacks are quick; the limit itself is what's tested
HANG_GUARD_S = 30  # far beyond any limit: a run still going then is a hang, not slowness
HOST_NAMES = ("process", "require", "module", "exports", "__dirname", "__filename")

NORMAL = "async function onRequest(request) { Segment.track({ event: 'ok', userId: 'u1' }); }"


@pytest.fixture(scope="module")
def pool():
    # The isolates run in this process (not in a sandbox child) so the attacks meet V8's
    # own walls and the socket watch below sees every connect; crashes of the sandbox
    # child are tested in tests/runner/test_crash_isolation.py.
    warm = runner.IsolatePool(max_isolates=8, isolation="inline")
    warm.run("warm-up", NORMAL, {"body": {}})  # V8 starts on the main thread (the runs use others)
    yield warm
    warm.close()


def run(pool, code: str, body=None, *, key: str = "attack", timeout_ms: int = LIMIT_MS):
    """pool.run in a thread, failing (instead of hanging the suite) if it never ends."""
    outcome = {}

    def go():
        try:
            outcome["result"] = pool.run(key, code, {"body": body or {}}, {}, timeout_ms=timeout_ms)
        except BaseException as exc:  # reported below, in the test's thread
            outcome["error"] = exc

    thread = threading.Thread(target=go, daemon=True)
    thread.start()
    thread.join(HANG_GUARD_S)
    assert not thread.is_alive(), "the runner never returned: the worker thread hangs"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


@pytest.fixture(autouse=True)
def healthy_after(pool):
    """After each attack the same pool runs a normal function."""
    yield
    result = run(pool, NORMAL, key="normal", timeout_ms=1000)
    assert result.error is None, result.error
    assert [e["event"] for e in result.events] == ["ok"]


@pytest.fixture(autouse=True)
def connects(monkeypatch):
    """Every socket connect of this process; none may leave loopback."""
    seen = []
    current = socket.socket.connect

    def recording(self, address):
        seen.append(address)
        return current(self, address)

    monkeypatch.setattr(socket.socket, "connect", recording)
    yield seen
    for address in seen:
        host = address[0] if isinstance(address, tuple) else address
        assert not isinstance(host, str) or host.startswith(("127.", "::1", "/")), address


def probe(pool, expression: str):
    """The value of a JS expression computed inside a function, as it emitted it."""
    code = f"""async function onRequest() {{
      let found;
      try {{ found = {expression}; }} catch (e) {{ found = 'threw ' + e.name; }}
      Segment.track({{ event: 'probe', userId: 'u1', properties: {{ found: String(found) }} }});
    }}"""
    result = run(pool, code, timeout_ms=1000)
    assert result.error is None, result.error
    return result.events[0]["properties"]["found"]


def contained(result, *names: str) -> None:
    assert result.error is not None, "the attack was not stopped"
    assert result.error["name"] in names, result.error
    assert result.error["message"], result.error
    assert result.events == [] and result.objects == []


# --- host access ------------------------------------------------------------------------

HOST_ROUTES = {
    "constructor chain from this": "this.constructor.constructor('return this')()",
    "constructor chain from a prelude function": "Segment.track.constructor('return this')()",
    "async function constructor": "(async () => {}).constructor('return this')",
    "generator function constructor": "(function* () {}).constructor('return this')().next",
    "indirect eval": "(0, eval)('this')",
    "new Function": "new Function('return this')()",
}


@pytest.mark.parametrize("route", sorted(HOST_ROUTES))
def test_no_host_object_is_reachable(pool, route):
    for name in HOST_NAMES:
        expression = f"typeof (globalThis.{name} ?? eval('typeof {name} === \"undefined\" ? undefined : {name}'))"  # noqa: E501
        assert probe(pool, expression) == "undefined", (route, name)
    reached = probe(pool, f"(() => {{ const g = {HOST_ROUTES[route]}; return typeof g; }})()")
    assert reached in {"object", "function", "undefined"}
    for name in HOST_NAMES:
        via = probe(
            pool,
            f"(() => {{ const g = {HOST_ROUTES[route]}; "
            f"return typeof (g && typeof g === 'object' ? g['{name}'] : undefined); }})()",
        )
        assert via == "undefined", (route, name)


def test_eval_sees_no_host_either(pool):
    assert probe(pool, "eval('typeof process + typeof require')") == "undefinedundefined"


def test_dynamic_import_is_refused(pool):
    result = run(pool, "async function onRequest() { await import('fs'); }")
    contained(result, "Error", "TypeError", "SyntaxError")


def test_dynamic_import_of_a_url_sends_nothing(pool, connects):
    result = run(pool, "async function onRequest() { await import('http://127.0.0.1:9/x.js'); }")
    contained(result, "Error", "TypeError", "SyntaxError")
    assert not connects


def test_stack_frames_do_not_reveal_host_files(pool):
    found = probe(
        pool,
        "(() => { Error.prepareStackTrace = (e, frames) => frames.map(f => "
        "String(f.getFileName()) + ':' + String(f.getFunctionName())).join('|'); "
        "return new Error('x').stack; })()",
    )
    for host_detail in ("/work", ".py", "site-packages", str(ROOT)):
        assert host_detail not in found, found


def test_webassembly_cannot_outrun_the_limit(pool):
    loop_module = (
        "new Uint8Array([0,97,115,109,1,0,0,0,1,4,1,96,0,0,3,2,1,0,7,5,1,1,102,0,0,"
        "10,9,1,7,0,3,64,12,0,11,11])"
    )  # (func (export "f") (loop (br 0)))
    code = f"""async function onRequest() {{
      const {{ instance }} = await WebAssembly.instantiate({loop_module});
      instance.exports.f();
    }}"""
    contained(run(pool, code), "TimeoutError", "ReferenceError")


def test_atomics_wait_forever_is_stopped(pool):
    code = """async function onRequest() {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
    }"""
    contained(run(pool, code), "TimeoutError", "ReferenceError", "TypeError")


def test_atomics_wait_with_a_long_timeout_is_stopped(pool):
    code = """async function onRequest() {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 3600000);
    }"""
    contained(run(pool, code), "TimeoutError", "ReferenceError", "TypeError")


def test_a_looping_prepare_stack_trace_is_stopped(pool):
    code = """async function onRequest() {
      Error.prepareStackTrace = () => { while (true) {} };
      throw new Error('x');
    }"""
    contained(run(pool, code), "TimeoutError")


def test_a_thrown_object_with_a_looping_getter_is_stopped(pool):
    code = "async function onRequest() { throw { name: 'X', get message() { while (true) {} } }; }"
    contained(run(pool, code), "TimeoutError")


def test_console_log_of_a_looping_to_string_is_stopped(pool):
    code = """async function onRequest() {
      console.log({ toString() { while (true) {} }, get x() { while (true) {} } });
    }"""
    contained(run(pool, code), "TimeoutError")


def test_throwing_null_gives_a_clear_error(pool):
    contained(run(pool, "async function onRequest() { throw null; }"), "Error")


# --- resource abuse ---------------------------------------------------------------------

LIMITS = {
    "infinite loop": ("while (true) {}", {"TimeoutError"}),
    "infinite microtask loop": (
        "function f() { Promise.resolve().then(f); } f(); await new Promise(() => {});",
        {"TimeoutError"},
    ),
    "memory bomb": (
        "const a = []; while (true) a.push(new Array(1e6).fill(1.5));",
        # On a busy machine the time limit may come first: contained either way (the
        # heap limit itself is proven in tests/runner/test_hostile.py).
        {"MemoryLimitError", "TimeoutError"},
    ),
    "string doubling": ("let s = 'x'; while (true) s += s;", {"RangeError", "MemoryLimitError"}),
    "deep recursion": ("function r() { return r() + 1; } r();", {"RangeError"}),
    "catastrophic regex": ("/^(a+)+$/.test('a'.repeat(40) + '!');", {"TimeoutError"}),
    "a promise that never settles": ("await new Promise(() => {});", {"TimeoutError"}),
    "a timer far beyond the limit": (
        "await new Promise(r => setTimeout(r, 1e9));",
        {"TimeoutError"},
    ),
    "huge output": (
        "for (let i = 0; i < 1e7; i++) "
        "Segment.track({ event: 'e', userId: 'u' + i, properties: { pad: 'y'.repeat(500) } });",
        {"OutputLimitError"},
    ),
}


@pytest.mark.parametrize("attack", sorted(LIMITS))
def test_resource_abuse_is_stopped(pool, attack):
    body, names = LIMITS[attack]
    contained(run(pool, f"async function onRequest() {{ {body} }}"), *names)


def test_console_flood_is_cut_with_a_marker(pool):
    result = run(
        pool,
        "async function onRequest() {"
        " for (let i = 0; i < 1e6; i++) console.log('x'.repeat(100)); }",
        timeout_ms=2000,
    )
    assert result.error["name"] == "OutputLimitError"
    size = sum(len(line["message"].encode()) for line in result.logs)
    assert size <= 64 * 1024 + 200
    assert "dropped" in result.logs[-1]["message"]


def test_one_huge_log_line_is_cut(pool):
    result = run(pool, "async function onRequest() { console.log('é'.repeat(5e6)); }")
    assert sum(len(line["message"]) for line in result.logs) <= 64 * 1024 + 200


def test_timers_left_running_do_not_reach_the_next_run(pool):
    code = """async function onRequest(request) {
      if (request.json().attack) {
        setInterval(() => Segment.track({ event: 'leak', userId: 'u1' }), 0);
        return;
      }
      await new Promise(r => setTimeout(r, 20));
      Segment.track({ event: 'ok', userId: 'u1' });
    }"""
    first = run(pool, code, {"attack": True}, key="timers")
    assert first.error is None or first.error["name"] == "TimeoutError"
    assert all(e["event"] != "leak" for e in first.events) or first.error is None
    second = run(pool, code, {"attack": False}, key="timers")
    assert second.error is None, second.error
    assert [e["event"] for e in second.events] == ["ok"]


def test_a_request_body_over_the_cap_is_refused(pool):
    with pytest.raises((ValueError, runner.RequestFormatError)):
        pool.run("big", NORMAL, {"rawBody": "x" * (runner.MAX_BODY_BYTES + 1)}, {})


# --- pollution meant to leak into the next run, or another function ----------------------

POLLUTIONS = {
    "Object.prototype": "Object.prototype.polluted = 'yes'",
    "a getter on Object.prototype": (
        "Object.defineProperty(Object.prototype, 'polluted', "
        "{ get() { return 'yes'; }, configurable: true })"
    ),
    "a global": "globalThis.leak = 'from the last run'",
    "a non-configurable global": (
        "Object.defineProperty(globalThis, 'leak', { value: 'stuck', configurable: false })"
    ),
    "JSON.parse": "JSON.parse = () => ({ a: 'evil' })",
    "Segment.track": "Segment.track = function () {}",
    "a Proxy over Segment": (
        "globalThis.Segment = new Proxy(Segment, { get() { return () => {}; } })"
    ),
    "a frozen Segment": "Object.freeze(Segment)",
    "the runner's own global": "globalThis.__runner = {}",
    "the runner's functions": (
        "const runner = globalThis.__runner || globalThis.__runnerHandOver || {}; "
        "for (const k of Object.keys(runner)) "
        "{ try { runner[k] = () => { throw new Error('owned'); }; } catch (e) {} }"
    ),
    "Object.prototype.then": "Object.prototype.then = function (r) { r('hijacked'); }",
    "Promise.prototype.then": "Promise.prototype.then = function () {}",
    "Function.prototype.call": "Function.prototype.call = function () { return 1; }",
    "Map.prototype.get": "Map.prototype.get = function () { return undefined; }",
    "console.log": "console.log = () => {}",
    "fetch": "globalThis.fetch = async () => ({ ok: true })",
    "Array.prototype.push": "Array.prototype.push = function () { return 0; }",
    "Array.prototype[Symbol.iterator]": "Array.prototype[Symbol.iterator] = function* () {}",
}
POLLUTION_SCRIPT = """
import json, sys, runner
attack = sys.argv[1]
code = '''async function onRequest(request) {
  if (request.json().attack) { %s; return; }
  console.log('probe');
  Segment.track({ event: 'ok', userId: 'u1', properties: {
    polluted: ({}).polluted ?? null,
    leak: typeof leak === 'undefined' ? null : leak,
    parsed: JSON.parse('{"a": 1}').a } });
}''' % attack
other = '''async function onRequest() {
  Segment.track({ event: 'other', userId: 'u1', properties: { polluted: ({}).polluted ?? null } });
}'''
pool = runner.IsolatePool(max_isolates=8)
attacked = pool.run("version-1", code, {"body": {"attack": True}})
after = [pool.run("version-1", code, {"body": {}}) for _ in range(2)]
elsewhere = pool.run("version-2", other, {"body": {}})
normal = [r.__dict__ for r in after + [elsewhere]]
print(json.dumps({"attacked": attacked.error, "after": normal}, default=str))
"""


def pollution_outcome(attack: str) -> dict:
    """In a subprocess, which is killed if the runner hangs (a thread could not be)."""
    import json

    try:
        done = subprocess.run(
            [sys.executable, "-c", POLLUTION_SCRIPT, attack],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=HANG_GUARD_S,
        )
    except subprocess.TimeoutExpired:
        raise AssertionError("the runner never returned: the worker hangs") from None
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(POLLUTIONS))
def test_pollution_does_not_reach_the_next_run_or_another_function(name):
    outcome = pollution_outcome(textwrap.dedent(POLLUTIONS[name]))
    assert outcome["attacked"] is None or outcome["attacked"]["name"] in {
        "TimeoutError",
        "TypeError",
        "Error",
    }
    *next_runs, elsewhere = outcome["after"]
    for result in next_runs:
        assert result["error"] is None, result["error"]
        assert [e["event"] for e in result["events"]] == ["ok"]
        assert result["events"][0]["properties"] == {"polluted": None, "leak": None, "parsed": 1}
        assert result["logs"] == [{"level": "log", "message": "probe"}]
    assert elsewhere["error"] is None
    assert elsewhere["events"][0]["properties"] == {"polluted": None}


# --- fetch abuse --------------------------------------------------------------------------


class _Counting(http.server.BaseHTTPRequestHandler):
    hits: list = []
    redirect_to = ""

    def do_GET(self):  # noqa: N802 (http.server's name)
        type(self).hits.append(self.path)
        if self.path.startswith("/redirect") and type(self).redirect_to:
            self.send_response(302)
            self.send_header("Location", type(self).redirect_to)
        else:
            self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    handler = type("Handler", (_Counting,), {"hits": [], "redirect_to": ""})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()


def fetching(url: str) -> str:
    return f"""async function onRequest() {{
      const res = await fetch({url!r});
      Segment.track({{ event: 'fetched', userId: 'u1', properties: {{ status: res.status }} }});
    }}"""


def blocked_urls(port: int) -> dict[str, str]:
    return {
        "loopback": f"http://127.0.0.1:{port}/",
        "loopback, other address": f"http://127.0.0.2:{port}/",
        "localhost": f"http://localhost:{port}/",
        "LOCALHOST": f"http://LOCALHOST:{port}/",
        "localhost with a trailing dot": f"http://localhost.:{port}/",
        "IPv6 loopback": f"http://[::1]:{port}/",
        "IPv4-mapped IPv6": f"http://[::ffff:127.0.0.1]:{port}/",
        "IPv4-mapped IPv6 in hex": f"http://[::ffff:7f00:1]:{port}/",
        "decimal IP": f"http://2130706433:{port}/",
        "hex IP": f"http://0x7f000001:{port}/",
        "octal IP": f"http://0177.0.0.1:{port}/",
        "short IP": f"http://127.1:{port}/",
        "zero address": f"http://0.0.0.0:{port}/",
        "zero": f"http://0:{port}/",
        "6to4 of loopback": f"http://[2002:7f00:1::]:{port}/",
        "private 10/8": "http://10.0.0.1/",
        "private 172.16/12": "http://172.16.0.1/",
        "private 192.168/16": "http://192.168.1.1/",
        "carrier-grade NAT": "http://100.64.0.1/",
        "cloud metadata": "http://169.254.169.254/latest/meta-data/",
        "cloud metadata, decimal": "http://2852039166/latest/meta-data/",
        "cloud metadata, IPv4-mapped": "http://[::ffff:169.254.169.254]/",
        "cloud metadata, NAT64": "http://[64:ff9b::a9fe:a9fe]/",
        "cloud metadata, AWS IPv6": "http://[fd00:ec2::254]/",
        "IPv6 unique local": "http://[fd12:3456::1]/",
        "IPv6 link-local": "http://[fe80::1]/",
        "multicast": "http://224.0.0.1/",
        "broadcast": "http://255.255.255.255/",
    }


BLOCKED = sorted(blocked_urls(0))


@pytest.mark.parametrize("target", BLOCKED)
def test_fetch_to_a_non_public_address_is_refused_before_connecting(pool, server, connects, target):
    server.RequestHandlerClass.hits.clear()
    url = blocked_urls(server.server_address[1])[target]

    result = run(pool, fetching(url), timeout_ms=2000)

    contained(result, "FetchError", "TypeError")
    assert any(
        reason in result.error["message"] for reason in ("refus", "Invalid URL", "ENOTFOUND")
    ), result.error
    assert server.RequestHandlerClass.hits == []
    assert not connects, connects  # not even a connect to loopback


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://127.0.0.1/", "data:text/plain,hi", "gopher://127.0.0.1/"]
)
def test_fetch_of_another_scheme_is_refused(pool, connects, url):
    contained(run(pool, fetching(url)), "FetchError", "TypeError")
    assert not connects


def test_the_local_server_is_reachable_with_the_operator_flag(server):
    """So the refusals above are the guard's doing, not a dead server."""
    server.RequestHandlerClass.hits.clear()
    open_pool = runner.IsolatePool(max_isolates=1, allow_private_network=True, isolation="inline")
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/hello"
        result = open_pool.run("open", fetching(url), {"body": {}}, timeout_ms=3000)
    finally:
        open_pool.close()
    assert result.error is None, result.error
    assert result.events[0]["properties"]["status"] == 200
    assert server.RequestHandlerClass.hits == ["/hello"]


def redirect_targets(port: int) -> dict[str, str]:
    return {
        "loopback, other address": f"http://127.0.0.2:{port}/",
        "IPv6 loopback": f"http://[::1]:{port}/",
        "decimal IP": f"http://2130706434:{port}/",
        "cloud metadata": "http://169.254.169.254/latest/meta-data/",
        "private": "http://10.1.2.3/",
        "another scheme": "file:///etc/passwd",
    }


@pytest.mark.parametrize("target", sorted(redirect_targets(0)))
def test_a_redirect_to_a_non_public_address_is_refused(pool, server, monkeypatch, target):
    """The test server plays a public host: the guard is told 127.0.0.1 is public, and
    nothing else; the redirect it answers must be vetted again."""
    from runner import netguard

    vetted = netguard.is_public
    monkeypatch.setattr(
        netguard, "is_public", lambda address: str(address) == "127.0.0.1" or vetted(address)
    )
    port = server.server_address[1]
    server.RequestHandlerClass.hits.clear()
    server.RequestHandlerClass.redirect_to = redirect_targets(port)[target]

    result = run(pool, fetching(f"http://127.0.0.1:{port}/redirect"), timeout_ms=2000)

    contained(result, "FetchError", "TypeError")
    assert server.RequestHandlerClass.hits == ["/redirect"]  # the first hop only


def test_a_fetch_flood_is_capped(pool, connects):
    code = """async function onRequest() {
      await Promise.allSettled(Array.from({ length: 200 }, (_, i) =>
        fetch('http://10.0.0.' + (i % 250) + '/')));
    }"""
    result = run(pool, code, timeout_ms=3000)
    assert result.error is None, result.error
    assert all(record["status"] is None for record in result.fetches)
    assert not connects


def test_one_source_cannot_plant_a_trap_for_the_next_sources_secret(pool):
    code = """async function onRequest(request, settings) {
      if (request.json().plant) {
        const mine = settings.apiKey;
        console.warn = () => mine;  // a trap: whoever runs next calls it
        return;
      }
      Segment.track({ event: 'seen', userId: 'u1',
                      properties: { warn: String(console.warn('w')) } });
    }"""
    pool.run("shared-version", code, {"body": {"plant": True}}, {"apiKey": "SECRET-OF-SOURCE-A"})
    result = pool.run("shared-version", code, {"body": {}}, {"apiKey": "SECRET-OF-SOURCE-B"})
    assert "SECRET-OF-SOURCE-A" not in str(result.events)
    assert result.logs == [{"level": "warn", "message": "w"}]


# --- the runner's own protocol ------------------------------------------------------------


def run_batch(pool, code: str, invocations, *, key: str = "batch", timeout_ms: int = 1000):
    """pool.run_batch in a thread, failing (instead of hanging the suite) if it never ends."""
    outcome = {}

    def go():
        try:
            outcome["results"] = pool.run_batch(key, code, invocations, timeout_ms=timeout_ms)
        except BaseException as exc:  # reported below, in the test's thread
            outcome["error"] = exc

    thread = threading.Thread(target=go, daemon=True)
    thread.start()
    thread.join(HANG_GUARD_S)
    assert not thread.is_alive(), "the runner never returned: the worker thread hangs"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["results"]


def sources(count: int, **body):
    """One webhook for each of `count` sources of the same function, each with its secret."""
    return [
        runner.Invocation(
            runner.normalize_request({"body": {"source": n, **body}}),
            {"apiKey": f"SECRET-OF-SOURCE-{n}"},
            f"execution-{n}",
        )
        for n in range(count)
    ]


# Routes from a function to the frames of the runner that called it, and their arguments.
CALLER_ROUTES = {
    "onRequest.caller chain": "onRequest.caller.caller.caller.caller.arguments[0]",
    "arguments.callee.caller chain": (
        "(() => { let f = onRequest.caller; const seen = []; "
        "while (f) { seen.push(f.arguments && [...f.arguments]); f = f.caller; } return seen; })()"
    ),
    "structured stack frames": (
        "(() => { const saved = Error.prepareStackTrace; "
        "Error.prepareStackTrace = (e, frames) => frames.map((f) => [f.getThis(), "
        "f.getFunction() && f.getFunction().arguments && [...f.getFunction().arguments]]); "
        "const frames = new Error('x').stack; Error.prepareStackTrace = saved; return frames; })()"
    ),
}


@pytest.mark.parametrize("route", sorted(CALLER_ROUTES))
def test_a_function_cannot_read_the_other_executions_of_its_batch(pool, route):
    code = f"""function onRequest(request, settings) {{
      let found;
      try {{ found = JSON.stringify({CALLER_ROUTES[route]}); }} catch (e) {{ found = 'threw ' + e.name; }}
      Segment.track({{ event: 'looked', userId: 'u1', properties: {{ found: String(found) }} }});
    }}"""  # noqa: E501
    results = run_batch(pool, code, sources(3), key=f"callers-{route}")
    for n, result in enumerate(results):
        assert result.error is None, result.error
        seen = str(result.events) + str(result.logs)
        others = [f"SECRET-OF-SOURCE-{m}" for m in range(3) if m != n]
        assert not any(secret in seen for secret in others), (n, seen[:500])


def test_a_webhook_cannot_leave_a_handler_for_the_next_source(pool):
    """A webhook to source A tries to install its own handler for the version; the next
    webhook, to source B of the same function, must run the function itself."""
    code = """async function onRequest(request, settings) {
      if (request.json().plant) {
        const stolen = () => async (req, s) => Segment.track({ event: 'stolen', userId: 'x',
          properties: { secret: s.apiKey, body: req.text() } });
        for (const name of Object.getOwnPropertyNames(globalThis)) {
          const value = globalThis[name];
          for (const key of ['install', 'installLegacy']) {
            try { if (value && typeof value[key] === 'function') value[key](stolen); } catch (e) {}
          }
        }
        try { __runner.install(stolen, false); } catch (e) {}
        return;
      }
      Segment.track({ event: 'normal', userId: 'u1' });
    }"""
    planted = pool.run("one-version", code, {"body": {"plant": True}}, {"apiKey": "SECRET-A"})
    assert planted.events == []
    after = pool.run("one-version", code, {"body": {"n": 1}}, {"apiKey": "SECRET-B"})
    assert after.error is None, after.error
    assert [e["event"] for e in after.events] == ["normal"]
    assert "SECRET-B" not in str(after.events)


def test_a_function_cannot_stall_the_batch_driver(pool):
    """Restarting the runtime's batch with nothing allowed to start made the driver spin
    until the worker's hard deadline, delaying every other workspace's events."""
    code = """async function onRequest(request) {
      if (request.json().source === 1) {
        const spec = { items: [{ request: {}, settings: {} }], sliceMs: 20, maxStarts: 0 };
        try { __runner.start(spec); } catch (e) {}
      }
      Segment.track({ event: 'ok', userId: 'u' + request.json().source });
    }"""
    results = run_batch(pool, code, sources(4), key="stall")
    assert [r.events[0]["userId"] if r.events else r.error for r in results] == [
        "u0",
        "u1",
        "u2",
        "u3",
    ]


def test_no_global_leads_to_the_runner_protocol(pool):
    found = probe(
        pool,
        "Object.getOwnPropertyNames(globalThis).filter((k) => /^__runner/.test(k)).join(',')",
    )
    assert found == ""
    walk = """(() => {
      const names = ['install', 'installLegacy', 'start', 'step', 'abort', 'collect'];
      const hits = [];
      for (const k of Reflect.ownKeys(globalThis)) {
        const d = Object.getOwnPropertyDescriptor(globalThis, k);
        const v = d && d.value;
        if (v && (typeof v === 'object' || typeof v === 'function')) {
          for (const n of names) if (Object.prototype.hasOwnProperty.call(v, n) && typeof v[n] === 'function') hits.push(String(k) + '.' + n);
        }
      }
      // Node's own AbortSignal.abort(reason): it makes an aborted signal, nothing else.
      const signal = AbortSignal.abort('r');
      const own = hits.indexOf('AbortSignal.abort');
      if (own >= 0 && signal instanceof AbortSignal && signal.aborted && signal.reason === 'r') hits.splice(own, 1);
      return hits.join(',');
    })()"""  # noqa: E501
    assert probe(pool, walk) == ""
