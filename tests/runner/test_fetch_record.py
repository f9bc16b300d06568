"""The execution log keeps where a function fetched, never the secrets in the URL."""

from runner.fetch import recorded_url


def test_query_values_and_credentials_are_masked():
    assert (
        recorded_url("https://bot:pa55@api.example.com:8443/v1/items?api_key=sk_live_1&page=2#x")
        == "https://api.example.com:8443/v1/items?api_key=…&page=…"
    )
    assert recorded_url("http://10.0.0.1/") == "http://10.0.0.1/"


def test_a_fetch_record_of_a_run_is_masked(inline_pool):
    code = """async function onRequest(request, settings) {
      await fetch('http://10.0.0.1/hook?token=' + settings.token).catch(() => null);
    }"""
    result = inline_pool.run("masked", code, {"body": {}}, {"token": "s3cret"}, timeout_ms=3000)
    assert [record["url"] for record in result.fetches] == ["http://10.0.0.1/hook?token=…"]
    assert "s3cret" not in str(result.fetches)
