# ruff: noqa: E501  (JavaScript sources read better unwrapped)
"""The Node 20 globals functions use that V8 alone lacks: AbortController and AbortSignal
(fetch honours `signal`), structuredClone, queueMicrotask, performance.now, TextEncoder."""

from runner import run

REQ = {"body": {}}


def value_of(expression, **kwargs):
    result = run(
        f"async function onRequest() {{ const v = await ({expression}); Segment.track({{ userId: 'u', event: 'e', properties: {{ v }} }}) }}",
        REQ,
        **kwargs,
    )
    assert result.error is None, result.error
    return result.events[0]["properties"]["v"]


def test_abort_controller_and_signal():
    v = value_of("""(() => {
      const c = new AbortController(); const seen = [];
      c.signal.addEventListener('abort', (e) => seen.push(e.type));
      c.signal.onabort = () => seen.push('onabort');
      const before = c.signal.aborted;
      c.abort(); c.abort();
      let thrown; try { c.signal.throwIfAborted(); } catch (e) { thrown = [e.name, e.message, e instanceof DOMException, e instanceof Error]; }
      const custom = AbortSignal.abort('why');
      let illegal; try { new AbortSignal(); } catch (e) { illegal = e.name; }
      return { before, after: c.signal.aborted, seen, thrown, reason: custom.reason, illegal, any: AbortSignal.any([new AbortController().signal, custom]).reason };
    })()""")
    assert v == {
        "before": False,
        "after": True,
        "seen": ["onabort", "abort"],
        "thrown": ["AbortError", "This operation was aborted", True, True],
        "reason": "why",
        "illegal": "TypeError",
        "any": "why",
    }


def test_abort_signal_timeout_fires_through_the_runners_timers():
    v = value_of(
        "new Promise((resolve) => { const s = AbortSignal.timeout(10); s.addEventListener('abort', () => resolve([s.reason.name, s.reason.message])); })"
    )
    assert v == ["TimeoutError", "The operation was aborted due to timeout"]


def test_fetch_honours_an_aborted_signal(local_server):
    expression = f"""(async () => {{
      const out = [];
      try {{ await fetch('{local_server}/json', {{ signal: AbortSignal.abort() }}); }} catch (e) {{ out.push([e.name, e.type, e.message]); }}
      const c = new AbortController();
      const pending = fetch('{local_server}/json', {{ signal: c.signal }});
      c.abort();
      try {{ await pending; }} catch (e) {{ out.push([e.name, e.type]); }}
      const fine = await (await fetch('{local_server}/json', {{ signal: new AbortController().signal }})).json();
      let bad; try {{ await fetch('{local_server}/json', {{ signal: {{}} }}); }} catch (e) {{ bad = e.message; }}
      return {{ out, fine, bad }};
    }})()"""
    v = value_of(expression, allow_private_network=True)
    assert v == {
        "out": [
            ["AbortError", "aborted", "The user aborted a request."],
            ["AbortError", "aborted"],
        ],
        "fine": {"ok": True, "n": 1},
        "bad": "Expected signal to be an instanceof AbortSignal",
    }


def test_structured_clone():
    v = value_of("""(() => {
      const source = { n: 1, d: new Date(0), m: new Map([['k', [1, 2]]]), s: new Set([1]), bytes: new Uint8Array([1, 2]), re: /a/gi, nested: { deep: [1, { x: 2 }] } };
      source.self = source;
      const copy = structuredClone(source);
      let fn; try { structuredClone({ f() {} }); } catch (e) { fn = [e.name, e instanceof DOMException]; }
      const err = structuredClone(new RangeError('too big'));
      return {
        distinct: copy !== source && copy.nested !== source.nested && copy.m !== source.m, cycle: copy.self === copy,
        date: copy.d instanceof Date && copy.d.getTime() === 0, map: copy.m.get('k'), set: copy.s.has(1),
        bytes: [copy.bytes instanceof Uint8Array, Array.from(copy.bytes)], re: [copy.re.source, copy.re.flags],
        fn, err: [err instanceof RangeError, err.message], classless: Object.getPrototypeOf(structuredClone(new (class A { constructor() { this.a = 1; } })())) === Object.prototype,
      };
    })()""")
    assert v == {
        "distinct": True,
        "cycle": True,
        "date": True,
        "map": [1, 2],
        "set": True,
        "bytes": [True, [1, 2]],
        "re": ["a", "gi"],
        "fn": ["DataCloneError", True],
        "err": [True, "too big"],
        "classless": True,
    }


def test_queue_microtask_runs_before_timers_and_its_exception_fails_the_run():
    v = value_of(
        "new Promise((resolve) => { const order = []; setTimeout(() => { order.push('timer'); resolve(order); }, 0); queueMicrotask(() => order.push('micro')); order.push('sync'); })"
    )
    assert v == ["sync", "micro", "timer"]
    failed = run(
        "async function onRequest() { queueMicrotask(() => { throw new TypeError('in a microtask'); }); await new Promise((r) => setTimeout(r, 5)); }",
        REQ,
    )
    assert failed.error["name"] == "TypeError" and failed.error["message"] == "in a microtask"
    assert (
        run("async function onRequest() { queueMicrotask('no') }", REQ).error["name"] == "TypeError"
    )


def test_performance_now_and_text_encoding():
    v = value_of(
        "(async () => { const a = performance.now(); await new Promise((r) => setTimeout(r, 15)); const b = performance.now(); return [typeof a, b - a >= 10, typeof performance.timeOrigin, new TextDecoder().decode(new TextEncoder().encode('é')), typeof EventTarget, typeof Event]; })()"
    )
    assert v == ["number", True, "number", "é", "function", "function"]
