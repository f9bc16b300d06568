# ruff: noqa: E501  (JavaScript sources read better unwrapped)
"""The libraries of Segment's runtime page are handed to an isolate only when its
function's code names them, loaded before its first execution, put back after every run
like the runner's own objects, and give host access to nothing."""

import pytest

from runner import IsolatePool, run
from runner.engine import NAMED_LIBRARIES, hand_over_payload, library_source, named_libraries

REQ = {"body": {}}


def value_of(code_body, **kwargs):
    result = run(
        f"async function onRequest() {{ const v = await ({code_body}); Segment.track({{ userId: 'u', event: 'e', properties: {{ v }} }}) }}",
        REQ,
        **kwargs,
    )
    assert result.error is None, result.error
    return result.events[0]["properties"]["v"]


@pytest.mark.parametrize(
    ("code", "bundles"),
    [
        ("async function onRequest() { return fetch('https://api.stripe.com/v1/charges') }", ()),
        ("const client = stripe(settings.key)", ("stripe",)),
        ("https.get(url, cb)", ("https",)),
        ("const m = globalThis.moment()", ("moment",)),
        ("const w = winstonlib.winston", ("winston", "zlib")),
        ("const s = { twilio: 1, sendgrid: 2 }", ()),
        (
            "uuidv5.uuidv5('dns', x); zlib.zlib.gzipSync(y); hubspotlib.hubspot; nodemailjet.nodemailjet",
            ("hubspot", "mailjet", "uuidv5", "zlib"),
        ),
    ],
)
def test_a_library_is_named_by_its_global(code, bundles):
    assert named_libraries(code) == bundles


def test_a_function_naming_none_gets_none_of_their_sources():
    call = hand_over_payload(())
    for bundle in NAMED_LIBRARIES:
        assert library_source(bundle)[:200] not in call
    assert len(call) < 400_000  # the always-present libraries only (lodash, Buffer, URL, ...)


def test_a_library_read_under_a_computed_name_says_how_to_load_it():
    result = run(
        "async function onRequest() { const name = 'str' + 'ipe'; globalThis[name]('sk') }", REQ
    )
    assert result.error["name"] == "ReferenceError"
    assert result.error["message"] == (
        "stripe is not loaded: the runner loads a library only for a function whose code "
        "names it; write stripe itself in the code (not a computed name)"
    )


def test_segment_names_each_global_exactly():
    shapes = value_of(
        "[typeof uuidv5.uuidv5, typeof moment.tz, typeof jsonwebtoken.sign, typeof xml2js.parseString, typeof zlib.zlib.deflateSync, typeof winstonlib.winston.Logger, typeof stripe, typeof twilio, typeof sendgrid.client.request, typeof sendgrid.mail.send, typeof hubspotlib.hubspot.Client, typeof jsforce.Connection, typeof nodemailjet.nodemailjet.apiConnect, typeof https.request, typeof https.get]"
    )
    assert shapes == ["function"] * 15


@pytest.mark.parametrize(
    ("use", "library"),
    [
        ("new AWS.S3()", "the AWS SDK"),
        ("new google.cloud.bigquery.BigQuery()", "@google-cloud/bigquery"),
        ("google.cloud.storage.Storage", None),
        ("google.cloud.pubsub.PubSub.prototype.topic()", "@google-cloud/pubsub"),
    ],
)
def test_sdks_that_need_node_fail_clearly(use, library):
    result = run(f"async function onRequest() {{ {use} }}", REQ)
    if library is None:  # reading a name is harmless; using it is not
        assert result.error is None
        return
    assert result.error["name"] == "Error"
    assert f"is not available in this runtime: {library} needs Node.js" in result.error["message"]
    assert "with fetch() instead" in result.error["message"]


@pytest.fixture(scope="module")
def warm_pool():
    pool = IsolatePool(max_isolates=2)
    yield pool
    pool.close()


# name -> (what one run does to a library, what the next run reports, as it was loaded)
CHANGES = {
    "a method of moment": (
        "moment.fn.format = () => 'trap'",
        "moment.utc(0).format('YYYY')",
        "1970",
    ),
    "a property on stripe": ("stripe.stash = 'secret'", "String(stripe.stash)", "undefined"),
    "the api key of sendgrid.mail": (
        "sendgrid.mail.setApiKey('SG.secret-of-another-run')",
        "JSON.stringify(sendgrid.mail.client).includes('secret-of-another-run')",
        False,
    ),
    "zlib replaced": (
        "zlib.zlib.deflateSync = () => 'trap'",
        "zlib.zlib.deflateSync('x').length",
        9,
    ),
    "https.request replaced": (
        "https.request = () => 'trap'",
        "typeof https.request({ hostname: 'example.com' }).end",
        "function",
    ),
    "the global itself": ("uuidv5 = uuidv5.uuidv5", "typeof uuidv5.uuidv5", "function"),
}


@pytest.mark.parametrize("name", sorted(CHANGES))
def test_a_change_to_a_library_does_not_reach_the_next_run(warm_pool, name):
    change, probe, pristine = CHANGES[name]
    code = f"async function onRequest(request) {{ if (request.json().change) {{ {change} }} const v = {probe}; Segment.track({{ userId: 'u', event: 'e', properties: {{ v }} }}) }}"
    key = f"state-{name}"
    first = warm_pool.run(key, code, {"body": {"change": True}})
    assert first.error is None, first.error
    second = warm_pool.run(key, code, REQ)
    assert second.error is None, second.error
    assert second.events[0]["properties"]["v"] == pristine


def test_no_host_access_through_the_libraries():
    assert (
        value_of("[typeof require, typeof process, typeof module, typeof __dirname]")
        == ["undefined"] * 4
    )
    # winston's File transport opens its file on the first line: the host's files are not there.
    result = run(
        "async function onRequest() { const w = winstonlib.winston; new w.Logger({ transports: [new w.transports.File({ filename: '/etc/passwd' })] }).info('x') }",
        REQ,
    )
    assert (
        "a function cannot reach files, processes or sockets of the host" in result.error["message"]
    )


def test_the_libraries_see_no_host_environment():
    # stripe reports the machine it runs on in its user agent: here, nothing of the host.
    v = value_of(
        "(() => { let agent; stripe('sk').getClientUserAgent((ua) => { agent = JSON.parse(ua); }); return new Promise((r) => setTimeout(() => r(agent), 10)); })()"
    )
    assert v["uname"] == "UNKNOWN" and v["platform"] == "linux"


def test_a_named_library_loads_before_the_first_execution(isolates_made):
    # Compiled when the isolate is made, not within the function's time limit.
    result = run(
        "async function onRequest() { twilio; hubspotlib; Segment.track({ userId: 'u', event: 'e' }) }",
        REQ,
        timeout_ms=100,
    )
    assert result.error is None, result.error
    assert result.duration_ms < 100


def test_no_library_leads_to_the_runners_loader_or_core():
    # The SDK bundles reach the fetch bridge and the library loader in their closures;
    # nothing a function can walk to from their exports is either of them.
    walk = """(() => {
      const roots = [uuidv5, moment, jsonwebtoken, xml2js, zlib, winstonlib, stripe, twilio, sendgrid, hubspotlib, jsforce, nodemailjet, https];
      const seen = new Set(); const pending = roots.slice(); const hits = [];
      while (pending.length && seen.size < 50000) {
        const o = pending.pop();
        if (!((typeof o === 'object' && o !== null) || typeof o === 'function') || seen.has(o)) continue;
        seen.add(o);
        if (typeof o === 'function' && ['requireLibrary', 'requireNamedLibrary', 'registerLibraries', 'provideModule'].includes(o.name)) hits.push(o.name);
        if (typeof o === 'object' && 'entropy' in o && 'whatwgUrl' in o) hits.push('runner-core');
        pending.push(Object.getPrototypeOf(o));
        for (const k of Reflect.ownKeys(o)) {
          const d = Object.getOwnPropertyDescriptor(o, k);
          if (d && 'value' in d) pending.push(d.value);
        }
      }
      return [seen.size > 1000, hits];
    })()"""
    assert value_of(walk) == [True, []]
