# ruff: noqa: E501  (JavaScript sources read better unwrapped)
"""The runner's own objects a function can reach are put back after every run of a warm
isolate: a replaced method, an added property, a changed setting never reach the next run."""

import pytest

from runner import IsolatePool

REQ = {"body": {}}
# name -> (what a run does to it, an expression the next run reports)
CHANGES = {
    "console.warn": ("console.warn = () => 'trap'", "String(console.warn('w'))"),
    "console, an added method": ("console.steal = () => 1", "typeof console.steal"),
    "Segment.track": ("Segment.track = () => { throw new Error('trap'); }", "'fine'"),
    "ValidationError.prototype": (
        "ValidationError.prototype.name = 'Trap'",
        "new ValidationError('m').name",
    ),
    "RetryError, static": ("RetryError.stash = 'secret'", "String(RetryError.stash)"),
    "fetch, a property": ("fetch.stash = 'secret'", "String(fetch.stash)"),
    "Headers.prototype.get": (
        "Headers.prototype.get = () => 'trap'",
        "new Headers({ a: '1' }).get('a')",
    ),
    "the Body of Response": (
        "Object.getPrototypeOf(Response.prototype).text = () => 'trap'",
        "typeof new Response('x').text()",
    ),
    "FormData.prototype": (
        "FormData.prototype.append = () => {}",
        "typeof FormData.prototype.append.length",
    ),
    "setTimeout, a property": ("setTimeout.stash = 1", "String(setTimeout.stash)"),
    "atob": ("atob.stash = 1", "String(atob.stash)"),
    "AWS": (
        "try { Object.defineProperty(AWS, 'stash', { value: 1 }) } catch (e) {}",
        "String(Object.getOwnPropertyNames(AWS).length)",
    ),
    "_ (lodash)": (
        "_.stash = 'secret'; _.templateSettings.interpolate = /#([\\s\\S]+?)#/g",
        "String(_.stash) + _.template('<%= a %>')({ a: 1 })",
    ),
    "_.mixin": ("_.mixin({ leak: () => 'secret' })", "typeof _.leak"),
    "Buffer.prototype": (
        "Buffer.prototype.toString = () => 'trap'",
        "Buffer.from('hi').toString()",
    ),
    "crypto.createHash": (
        "crypto.createHash = () => 'trap'",
        "typeof crypto.createHash('md5').update",
    ),
    "URL.prototype": ("URL.prototype.toString = () => 'trap'", "new URL('http://a/b').toString()"),
    "xml": ("xml.stash = 1", "String(xml.stash)"),
    "OAuth": ("OAuth.OAuth2.prototype.stash = 1", "String(OAuth.OAuth2.prototype.stash)"),
}
FIRST_RUN = {
    "console.warn": "undefined",
    "console, an added method": "undefined",
    "Segment.track": "fine",
    "ValidationError.prototype": "ValidationError",
    "RetryError, static": "undefined",
    "fetch, a property": "undefined",
    "Headers.prototype.get": "1",
    "the Body of Response": "object",
    "FormData.prototype": "number",
    "setTimeout, a property": "undefined",
    "atob": "undefined",
    "AWS": "0",
    "_ (lodash)": "undefined1",
    "_.mixin": "undefined",
    "Buffer.prototype": "hi",
    "crypto.createHash": "function",
    "URL.prototype": "http://a/b",
    "xml": "undefined",
    "OAuth": "undefined",
}


@pytest.mark.parametrize("name", sorted(CHANGES))
def test_a_change_to_a_prelude_object_does_not_reach_the_next_run(name):
    change, probe = CHANGES[name]
    code = f"async function onRequest(request) {{ if (request.json().change) {{ {change}; return; }} Segment.track({{ userId: 'u', event: 'probe', properties: {{ seen: {probe} }} }}) }}"
    pool = IsolatePool(max_isolates=2, isolation="inline")
    before = pool.run("v", code, REQ)  # loads a lazy library first, if any
    assert before.error is None, before.error
    assert before.events[0]["properties"]["seen"] == FIRST_RUN[name]
    changed = pool.run("v", code, {"body": {"change": True}})
    assert changed.error is None, changed.error
    after = pool.run("v", code, REQ)
    assert after.error is None, after.error
    assert after.events[0]["properties"]["seen"] == FIRST_RUN[name]
    pool.close()


def test_a_put_back_change_keeps_the_isolate_warm():
    pool = IsolatePool(max_isolates=2, isolation="inline")
    code = "async function onRequest() { console.log = () => {}; Segment.extra = 1; }"
    pool.run("v", code, REQ)
    assert pool.idle_count() == 1
    pool.close()


@pytest.mark.parametrize(
    "change",
    [
        "Object.freeze(console)",
        "Object.defineProperty(console, 'log', { value: () => {}, writable: false })",
        "Object.preventExtensions(_)",
    ],
)
def test_what_cannot_be_put_back_taints_the_isolate(change):
    pool = IsolatePool(max_isolates=2, isolation="inline")
    result = pool.run("v", f"async function onRequest() {{ {change}; }}", REQ)
    assert result.error is None, result.error
    assert pool.idle_count() == 0
    pool.close()
