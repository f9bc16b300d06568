# ruff: noqa: E501  (JavaScript sources read better unwrapped)
"""Built-ins are shared by every execution of a warm isolate, so they are locked: whatever
one execution does to one (add, replace, redefine as a getter, delete, re-parent), the
next execution of the same version sees it pristine; the execution that tried either
goes on or fails with a clear error; and ordinary code that sets properties on its own
objects (`obj.toString = ...`, classes extending built-ins, lodash, Buffer) still works."""

import re

import pytest

from runner import Invocation, IsolatePool, normalize_request

REQ = {"body": {}}
ISOLATIONS = ("process", "inline")
# name -> (what an execution does, an expression the next one reports, its pristine value)
TAMPERINGS = {
    "Uint8Array.prototype, a property added": (
        "Uint8Array.prototype.stash = 'secret'",
        "String(new Uint8Array(1).stash)",
        "undefined",
    ),
    "Array.prototype.map replaced": (
        "Array.prototype.map = function () { return ['evil']; }",
        "JSON.stringify([1, 2].map((x) => x * 2))",
        "[2,4]",
    ),
    "Map.prototype.get, a getter by defineProperty": (
        "Object.defineProperty(Map.prototype, 'get', { get() { return () => 'evil'; } })",
        "new Map([['k', 'v']]).get('k')",
        "v",
    ),
    "Promise.prototype.then replaced": (
        "Promise.prototype.then = function () { return 'evil'; }",
        "typeof Promise.resolve(1).then(String).then",
        "function",
    ),
    "RegExp.prototype.exec replaced": (
        "RegExp.prototype.exec = () => null",
        "String(/a/.test('a')) + 'x-y'.replace(/-/g, '+')",
        "truex+y",
    ),
    "RegExp.prototype, a property added": (
        "RegExp.prototype.stash = 'secret'",
        "String(/a/.stash)",
        "undefined",
    ),
    "RegExp legacy statics (RegExp.$1, input)": (
        "/token=(\\w+)/.exec('token=secret'); RegExp.input = 'secret'",
        "[RegExp.$1, RegExp.lastMatch, RegExp.input, RegExp['$_']].join('|')",
        "|||",
    ),
    "JSON.parse replaced": ("JSON.parse = () => ({ a: 'evil' })", "JSON.parse('{\"a\": 1}').a", 1),
    "JSON, a property by defineProperty": (
        "Object.defineProperty(JSON, 'stash', { value: 'secret' })",
        "String(JSON.stash)",
        "undefined",
    ),
    "Math.random replaced": ("Math.random = () => 4", "String(Math.random() < 1)", "true"),
    "Reflect.ownKeys replaced": (
        "Reflect.ownKeys = () => []",
        "Reflect.ownKeys({ a: 1 }).join()",
        "a",
    ),
    "Date.prototype.toISOString replaced": (
        "Date.prototype.toISOString = () => 'evil'",
        "new Date(0).toISOString()",
        "1970-01-01T00:00:00.000Z",
    ),
    "Symbol, a static added": ("Symbol.stash = 'secret'", "String(Symbol.stash)", "undefined"),
    "Error.prototype.message replaced": (
        "Error.prototype.message = 'evil'",
        "new Error().message + new TypeError().message",
        "",
    ),
    "Object.prototype, a getter": (
        "Object.defineProperty(Object.prototype, 'stash', { get() { return 'secret'; }, configurable: true })",
        "String(({}).stash)",
        "undefined",
    ),
    "Object.prototype.toString replaced": (
        "Object.prototype.toString = () => 'evil'",
        "String({})",
        "[object Object]",
    ),
    "Function.prototype.call replaced": (
        "Function.prototype.call = () => 'evil'",
        "String(((x) => x).call(null, 1))",
        "1",
    ),
    "%TypedArray%.prototype, through Object.getPrototypeOf(Uint8Array.prototype)": (
        "Object.getPrototypeOf(Uint8Array.prototype).stash = 'secret'; Object.getPrototypeOf(Uint8Array.prototype).fill = () => 'evil'",
        "String(new Int16Array(2).stash) + new Int16Array(2).fill(3).join()",
        "undefined3,3",
    ),
    "the array iterator, through [][Symbol.iterator]().__proto__": (
        "[][Symbol.iterator]().__proto__.next = () => ({ done: true })",
        "String([...[1, 2, 3]].length)",
        "3",
    ),
    "async functions, through (async () => {}).constructor.prototype": (
        "(async () => {}).constructor.prototype.stash = 'secret'",
        "String((async () => {}).stash)",
        "undefined",
    ),
    "generators, through the generator prototype": (
        "Object.getPrototypeOf(function* () {}).prototype.next = () => ({ done: true })",
        "JSON.stringify([...(function* () { yield 1; })()])",
        "[1]",
    ),
    "Iterator.prototype.map replaced": (
        "Iterator.prototype.map = function () { return 'evil'; }",
        "[1, 2].values().map((x) => x + 1).toArray().join()",
        "2,3",
    ),
    "Map.prototype re-parented with setPrototypeOf": (
        "Object.setPrototypeOf(Map.prototype, { stash: 'secret' })",
        "String(new Map().stash)",
        "undefined",
    ),
    "Array.prototype.includes deleted": (
        "delete Array.prototype.includes",
        "typeof [].includes",
        "function",
    ),
    "a property on a built-in method": (
        "Array.prototype.map.stash = 'secret'",
        "String(Array.prototype.map.stash)",
        "undefined",
    ),
    "String.prototype, a method added": (
        "String.prototype.shout = function () { return 'evil'; }",
        "typeof 'a'.shout",
        "undefined",
    ),
    "Error.stackTraceLimit set": (
        "Error.stackTraceLimit = 0",
        "String(Error.stackTraceLimit) + (new Error('x').stack.split('\\n').length > 1)",
        "10true",
    ),
    "Error.prepareStackTrace set": (
        "Error.prepareStackTrace = () => 'secret'",
        "typeof Error.prepareStackTrace + typeof new Error('x').stack",
        "undefinedstring",
    ),
    "Error.captureStackTrace deleted": (
        "delete Error.captureStackTrace",
        "typeof Error.captureStackTrace",
        "function",
    ),
    "the global object's prototype": (
        "Object.getPrototypeOf(globalThis).stash = 'secret'",
        "typeof stash",
        "undefined",
    ),
    "the global object's prototype, swapped": (
        "Object.setPrototypeOf(globalThis, Object.assign("
        "Object.create(Object.getPrototypeOf(globalThis)), { stash: 'secret' }))",
        "typeof stash",
        "undefined",
    ),
    "the global object, made non-extensible": (
        "Object.preventExtensions(globalThis)",
        "String(Object.isExtensible(globalThis))",
        "true",
    ),
    "strict code adding to Array.prototype": (
        "(() => { 'use strict'; Array.prototype.stash = 'secret'; })()",
        "String([].stash)",
        "undefined",
    ),
    "Intl segments, through an instance": (
        "Object.getPrototypeOf(new Intl.Segmenter().segment('a')).stash = 'secret'",
        "String(new Intl.Segmenter().segment('a').stash)",
        "undefined",
    ),
}
# RegExp.prototype is not frozen (V8's fast regular expressions need its original
# shape): changing it taints the isolate, which is replaced. Error is not frozen either,
# but what a run changes on it is put back.
# Nor can a swapped prototype of the global object, or a global object made
# non-extensible, be undone safely: the isolate is replaced.
REPLACES_THE_ISOLATE = {
    "RegExp.prototype.exec replaced",
    "RegExp.prototype, a property added",
    "the global object's prototype, swapped",
    "the global object, made non-extensible",
}
CLEAR_REFUSAL = re.compile(
    r"frozen in Source Functions|not extensible|Cannot redefine property|read only|Cannot delete"
)


def probe_code(change: str, probe: str) -> str:
    return f"async function onRequest(request) {{ if (request.json().change) {{ {change}; return; }} Segment.track({{ userId: 'u', event: 'probe', properties: {{ seen: await ({probe}) }} }}) }}"


def seen(result):
    assert result.error is None, result.error
    return result.events[0]["properties"]["seen"]


@pytest.fixture(scope="module", params=ISOLATIONS)
def pool(request):
    pool = IsolatePool(max_isolates=64, isolation=request.param)
    yield pool
    pool.close()


@pytest.mark.parametrize("name", sorted(TAMPERINGS))
def test_a_change_to_a_built_in_does_not_reach_the_next_run(pool, name):
    change, probe, pristine = TAMPERINGS[name]
    code = probe_code(change, probe)
    assert seen(pool.run(name, code, REQ)) == pristine
    tampered = pool.run(name, code, {"body": {"change": True}})
    if tampered.error is not None:
        assert tampered.error["name"] == "TypeError", tampered.error
        assert CLEAR_REFUSAL.search(tampered.error["message"]), tampered.error
        assert tampered.error["line"] == 1
    assert seen(pool.run(name, code, REQ)) == pristine
    assert seen(pool.run(name, code, REQ)) == pristine


@pytest.mark.parametrize("name", sorted(TAMPERINGS))
def test_the_same_warm_isolate_runs_next_unless_regexp_was_changed(name, isolates_made):
    change, probe, pristine = TAMPERINGS[name]
    pool = IsolatePool(isolation="inline")
    code = probe_code(change, probe)
    pool.run("v", code, {"body": {"change": True}})
    assert seen(pool.run("v", code, REQ)) == pristine
    assert len(isolates_made) == (2 if name in REPLACES_THE_ISOLATE else 1)
    pool.close()


def test_in_a_batch_no_execution_sees_another_ones_changes(pool):
    # The legacy statics first: the other probes run regular expressions of their own.
    names = sorted(TAMPERINGS, key=lambda name: not name.startswith("RegExp legacy statics"))
    changes = "; ".join(f"try {{ {TAMPERINGS[name][0]} }} catch (e) {{}}" for name in names)
    probes = ", ".join(TAMPERINGS[name][1] for name in names)
    code = f"async function onRequest(request) {{ if (request.json().n % 3 === 1) {{ {changes} }} Segment.track({{ userId: 'u', event: 'probe', properties: {{ seen: [{probes}] }} }}) }}"
    invocations = [Invocation(normalize_request({"body": {"n": n}})) for n in range(7)]
    results = pool.run_batch("batch", code, invocations)
    pristine = [TAMPERINGS[name][2] for name in names]
    for n, result in enumerate(results):
        assert result.error is None, (n, result.error)
        if n % 3 != 1:  # the others; one that tampered sees what it did, as in Node
            assert seen(result) == pristine, n


def test_changes_made_after_the_run_ended_do_not_reach_the_next_run(pool):
    # A promise chain the function does not wait for runs on after its result is in.
    late = "(async () => { for (let i = 0; i < 20; i++) await null; RegExp.prototype.stash = 'late'; try { Uint8Array.prototype.stash = 'late'; } catch (e) {} })()"
    code = probe_code(late, "String(/a/.stash) + String(new Uint8Array(1).stash)")
    pool.run("late", code, {"body": {"change": True}})
    assert seen(pool.run("late", code, REQ)) == "undefinedundefined"


def test_every_built_in_reachable_from_the_global_object_is_frozen(pool):
    runner_globals = "ValidationError EventNotSupported InvalidEventPayload RetryError Segment console Headers FormData fetch Request Response atob btoa TextDecoder TextEncoder AWS google AbortController AbortSignal DOMException Event EventTarget performance queueMicrotask structuredClone setTimeout clearTimeout setInterval clearInterval setImmediate clearImmediate global _ xml Buffer crypto URL URLSearchParams OAuth uuidv5 moment jsonwebtoken xml2js zlib winstonlib stripe twilio sendgrid hubspotlib jsforce nodemailjet https cache __runner"
    walk = f"""(() => {{
      const skip = new Set('{runner_globals}'.split(' '));
      const hidden = [Object.getPrototypeOf(globalThis), Object.getPrototypeOf(async function () {{}}),
        Object.getPrototypeOf(function* () {{}}), Object.getPrototypeOf(async function* () {{}}),
        Object.getPrototypeOf([][Symbol.iterator]()), Object.getPrototypeOf(''[Symbol.iterator]()),
        Object.getPrototypeOf(new Map().entries()), Object.getPrototypeOf(new Set().values()),
        Object.getPrototypeOf(/a/g[Symbol.matchAll]('a')), Object.getPrototypeOf([].values().map((x) => x)),
        Object.getPrototypeOf(Iterator.from({{ next() {{ return {{ done: true }}; }} }})),
        Object.getPrototypeOf(new Intl.Segmenter().segment('a')),
        Object.getPrototypeOf(new Intl.Segmenter().segment('a')[Symbol.iterator]())];
      const pending = Reflect.ownKeys(globalThis).filter((k) => !skip.has(k)).map((k) => Object.getOwnPropertyDescriptor(globalThis, k)).flatMap((d) => [d.value, d.get, d.set]).concat(hidden);
      const seen = new Set([globalThis]); const open = [];
      while (pending.length) {{
        const o = pending.pop();
        if (!((typeof o === 'object' && o !== null) || typeof o === 'function') || seen.has(o)) continue;
        seen.add(o);
        if (!Object.isFrozen(o)) open.push(o === RegExp.prototype ? 'RegExp.prototype' : o === Error ? 'Error' : String(o));
        pending.push(Object.getPrototypeOf(o));
        for (const k of Reflect.ownKeys(o)) {{ const d = Object.getOwnPropertyDescriptor(o, k); pending.push(d.value, d.get, d.set); }}
      }}
      return [seen.size, open];
    }})()"""
    count, unfrozen = seen(pool.run("walk", probe_code("", walk), REQ))
    assert count > 1000
    assert sorted(unfrozen) == ["Error", "RegExp.prototype"]


# name -> (ordinary code, what it gives, as in Node)
ORDINARY = {
    "toString set on an object of its own": (
        "(() => { const o = {}; o.toString = () => 'mine'; return String(o); })()",
        "mine",
    ),
    "valueOf and constructor set on objects of its own": (
        "(() => { function F() {} F.prototype = { a: 1 }; F.prototype.constructor = F; const o = new F(); o.valueOf = () => 41; return [o + 1, o.constructor === F]; })()",
        [42, True],
    ),
    "payload keys named like Object.prototype methods": (
        "(() => { const out = {}; for (const k of ['toString', 'constructor', 'hasOwnProperty', 'valueOf', 'isPrototypeOf']) out[k] = k.length; return out; })()",
        {
            "toString": 8,
            "constructor": 11,
            "hasOwnProperty": 14,
            "valueOf": 7,
            "isPrototypeOf": 13,
        },
    ),
    "a class extending Error sets name and message": (
        "(() => { class NotFound extends Error { constructor(m) { super(m); this.name = 'NotFound'; this.message = 'missing ' + m; } } const e = new NotFound('user'); return [String(e), e instanceof Error]; })()",
        ["NotFound: missing user", True],
    ),
    "an ES5 error subclass": (
        "(() => { function HttpError(m) { this.message = m; } HttpError.prototype = Object.create(Error.prototype); HttpError.prototype.constructor = HttpError; HttpError.prototype.name = 'HttpError'; const e = new HttpError('boom'); return [String(e), e.constructor === HttpError]; })()",
        ["HttpError: boom", True],
    ),
    "a class extending TypeError": (
        "(() => { class Bad extends TypeError { constructor() { super('bad'); this.name = 'Bad'; } } return String(new Bad()); })()",
        "Bad: bad",
    ),
    "classes extending Array, Map and Promise": (
        "(async () => { class Stack extends Array { top() { return this[this.length - 1]; } } const s = Stack.from([1, 2]); s.push(3); class Defaults extends Map { get(k) { return super.get(k) ?? 'none'; } } class Later extends Promise {} return [s.top(), s.map((x) => x) instanceof Stack, new Defaults().get('x'), await Later.resolve(5).then((x) => x + 1)]; })()",
        [3, True, "none", 6],
    ),
    "properties set on a function and a Date of its own": (
        "(() => { function f() {} f.toString = () => 'source'; f.bind = 'mine'; const d = new Date(0); d.toJSON = () => 'when'; return [String(f), f.bind, JSON.stringify({ d })]; })()",
        ["source", "mine", '{"d":"when"}'],
    ),
    "push set on an array of its own": (
        "(() => { const seen = []; const a = []; a.push = (x) => seen.push(x); a.push(1); return [seen.length, a.length]; })()",
        [1, 0],
    ),
    "the polyfill idiom X.prototype.m = X.prototype.m || f": (
        "(() => { Array.prototype.includes = Array.prototype.includes || function () {}; Object.prototype.toString = Object.prototype.toString; return [1].includes(1); })()",
        True,
    ),
    "lodash": (
        "[_.chain([3, 1, 2]).sortBy().map((x) => x * 2).value(), _.camelCase('hello world'), _.template('<%= a %>!')({ a: 1 }), _.isEqual({ a: [1] }, { a: [1] }), (_.mixin({ twice: (x) => 2 * x }), _.twice(2))]",
        [[2, 4, 6], "helloWorld", "1!", True, 4],
    ),
    "Buffer, which overrides the typed array methods": (
        "[Buffer.from('héllo').toString('base64'), Buffer.from('abc').slice(1).toString(), Buffer.concat([Buffer.from('a'), Buffer.from('b')]).toString('hex')]",
        ["aMOpbGxv", "bc", "6162"],
    ),
    "Error.stackTraceLimit and Error.prepareStackTrace, as in Node": (
        "(() => { Error.stackTraceLimit = 1; const lines = new Error('x').stack.split('\\n').length; Error.prepareStackTrace = (error, frames) => frames.length; return [lines, new Error('y').stack]; })()",
        [2, 1],
    ),
    "regular expressions": (
        "['a-b-c'.replace(/-/g, '+'), 'x,y'.split(/,/), /(\\d+)/.exec('n42')[1], 'aXbX'.replaceAll('X', '.')]",
        ["a+b+c", ["x", "y"], "42", "a.b."],
    ),
}


@pytest.mark.parametrize("name", sorted(ORDINARY))
def test_ordinary_code_works_and_works_again(pool, name):
    expression, expected = ORDINARY[name]
    code = probe_code("", expression)
    assert seen(pool.run(f"ordinary {name}", code, REQ)) == expected
    assert seen(pool.run(f"ordinary {name}", code, REQ)) == expected


def test_replacing_a_built_in_method_fails_with_an_error_that_says_why(pool):
    result = pool.run(
        "refused", "async function onRequest() {\n  Array.prototype.push = () => 0;\n}", REQ
    )
    assert result.error["name"] == "TypeError"
    assert result.error["message"].startswith(
        "Cannot assign to Array.prototype.push: built-in objects are frozen in Source Functions"
    )
    assert result.error["line"] == 2


def test_a_method_added_to_a_built_in_gets_a_hint(pool):
    code = "String.prototype.shout = function () { return this.toUpperCase(); };\nasync function onRequest() {\n  Segment.track({ userId: 'u', event: 'hi'.shout() });\n}"
    result = pool.run("hint", code, REQ)
    assert result.error["name"] == "TypeError" and result.error["line"] == 3
    assert "frozen in Source Functions" in result.error["hint"]
    assert "'shout' on String.prototype" in result.error["hint"]
