# ruff: noqa: E501  (JavaScript sources read better unwrapped)
"""No loops: a function's fetch to the product's own webhook URLs is refused, however
the URL is spelled, through the runner's API and its CLI."""

import json
import os

import pytest

import runner

from .conftest import run_cli

REFUSAL = "a function cannot send to its own webhook URLs"
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


def fetched(url: str, own: list[str], *, private: bool = True) -> tuple[str, list]:
    result = runner.run(
        FETCH, {"body": {"url": url}}, allow_private_network=private, own_webhook_urls=own
    )
    assert result.error is None, result.error
    return result.logs[0]["message"], result.fetches


@pytest.mark.parametrize(
    "path",
    ["/hooks/tok123", "/%68ooks/tok123", "//hooks/tok123", "/x/../hooks/tok123", "/HOOKS/tok123",
     "/hooks/test/catcher-token", "/./hooks/tok123?x=1"],
)  # fmt: skip
def test_every_spelling_of_a_webhook_path_is_refused(local_server, path):
    said, fetches = fetched(local_server + path, [f"{local_server}/hooks/"])
    shown = f"{local_server}/hooks/…"
    assert said == f"FetchError EWEBHOOKLOOP request to {shown} failed, reason: {REFUSAL}"
    # The token is a source's write credential: neither the error nor the record shows it.
    assert "tok123" not in json.dumps(fetches) and fetches[0]["url"] == shown
    assert fetches[0]["status"] is None


def test_another_name_or_port_of_the_server_is_refused_too(local_server):
    port = local_server.rsplit(":", 1)[1]
    own = ["http://127.0.0.1:8000/hooks/"]
    assert REFUSAL in fetched(f"http://localhost:{port}/hooks/tok", own)[0]
    assert REFUSAL in fetched(f"http://127.0.0.1:{port}/hooks/tok", own)[0]


def test_a_redirect_to_a_webhook_url_is_refused(local_server):
    said, fetches = fetched(f"{local_server}/to-hook", [f"{local_server}/hooks/"])
    assert said.endswith(REFUSAL)
    assert fetches[0]["url"] == f"{local_server}/to-hook"  # the URL the function wrote


def test_other_paths_of_the_server_are_reachable(local_server):
    own = [f"{local_server}/hooks/"]
    assert fetched(f"{local_server}/json", own)[0] == "sent 200"
    assert fetched(f"{local_server}/hooksx/tok", own)[0] == "sent 404"
    assert fetched(f"{local_server}/api/hooks/tok", own)[0] == "sent 404"


def test_without_own_webhook_urls_nothing_is_refused(local_server):
    assert fetched(f"{local_server}/hooks/tok", [])[0] == "sent 404"


def test_the_product_s_public_host_is_refused_by_name_before_any_lookup():
    said, _ = fetched(
        "https://HOOKS.example.test./hooks/abc",
        ["https://hooks.example.test/hooks/"],
        private=False,
    )
    assert (
        said
        == f"FetchError EWEBHOOKLOOP request to https://hooks.example.test./hooks/… failed, reason: {REFUSAL}"
    )


def test_a_pool_refuses_them_in_its_sandboxes(local_server):
    pool = runner.IsolatePool(
        max_isolates=1, allow_private_network=True, own_webhook_urls=[f"{local_server}/hooks/"]
    )
    try:
        result = pool.run("v", FETCH, {"body": {"url": f"{local_server}/hooks/t"}})
    finally:
        pool.close()
    assert result.logs[0]["message"].endswith(REFUSAL)


def test_the_cli_refuses_the_webhook_urls_of_its_public_url(tmp_path, local_server):
    env = {**os.environ, "PUBLIC_URL": local_server + "/", "RUNNER_ALLOW_PRIVATE_NETWORK": "1"}
    request = json.dumps({"body": {"url": f"{local_server}/hooks/tok"}})
    proc = run_cli(tmp_path, FETCH, request=request, env=env)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["logs"][0]["message"].endswith(REFUSAL)
