"""Calls past the per-execution cap of fetch are refused and not recorded one by one."""

from runner.fetch import MAX_FETCHES_PER_EXECUTION


def test_calls_over_the_cap_are_counted_in_one_record(inline_pool):
    code = """async function onRequest() {
      const outcomes = await Promise.allSettled(Array.from({ length: 200 }, () =>
        fetch('http://10.0.0.1/')));
      const refused = outcomes.filter((o) => /over 50 fetch calls/.test(o.reason.message));
      Segment.track({ userId: 'u', event: 'e', properties: { refused: refused.length } });
    }"""
    result = inline_pool.run("flood", code, {"body": {}}, timeout_ms=3000)
    assert result.error is None, result.error
    assert result.events[0]["properties"] == {"refused": 200 - MAX_FETCHES_PER_EXECUTION}
    made, summary = result.fetches[:-1], result.fetches[-1]
    assert len(made) == MAX_FETCHES_PER_EXECUTION
    assert all(record["url"] == "http://10.0.0.1/" for record in made)
    assert summary["refused"] == 200 - MAX_FETCHES_PER_EXECUTION
    assert "150 more fetch calls refused" in summary["error"]


def test_under_the_cap_there_is_no_summary(inline_pool):
    code = "async function onRequest() { await fetch('http://10.0.0.1/').catch(() => null); }"
    result = inline_pool.run("one", code, {"body": {}}, timeout_ms=3000)
    assert [record["url"] for record in result.fetches] == ["http://10.0.0.1/"]
