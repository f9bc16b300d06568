"""Preview benchmark: how long a preview on recent traffic of 1,000 stored webhooks
takes, from the moment its task starts to its last batch recorded (the aim: under 10 s
on the 2-core machine).

The webhooks are accepted and run on the source's version first, as the product does
(not timed); then each round previews a changed draft on all of them, as a worker runs
the task (ingest.previews.preview_run, the worker's isolate pool). The first round pays
for the sandbox and the draft's isolate; the others find them warm.

    python bench/preview_bench.py [--webhooks 1000] [--rounds 3]

The embedded mode's SQLite database is a temporary one of its own (DATA_DIR); with
DATABASE_URL set it uses that database instead (it must be migrated and may be a
scratch one: the benchmark adds a workspace to it).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
if not os.environ.get("DATABASE_URL"):
    os.environ["DATA_DIR"] = tempfile.mkdtemp(prefix="preview-bench-")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "functions_ide.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402

from catalog.models import Function, FunctionVersion, Membership, Role, Source, Workspace  # noqa: E402
from ingest import services  # noqa: E402
from ingest.models import Preview  # noqa: E402
from ingest.receive import IncomingWebhook  # noqa: E402

CURRENT = """
async function onRequest(request) {
  const { n, cents, customer } = request.json();
  Segment.identify({ userId: customer, traits: { orders: n } });
  Segment.track({ event: 'Order Completed', userId: customer,
                  properties: { order: n, amount: cents / 100, currency: 'usd' } });
  Segment.set({ collection: 'orders', id: `o${n}`, properties: { cents, customer } });
}
"""
# A change that touches one webhook in ten: what a preview is for.
DRAFT = CURRENT.replace("amount: cents / 100", "amount: n % 10 === 0 ? cents : cents / 100")


def world(count: int):
    slug = f"bench-{secrets.token_hex(4)}"
    workspace = Workspace.objects.create(slug=slug, name="Preview bench")
    owner = get_user_model().objects.create(username=f"{slug}@bench.example")
    Membership.objects.create(user=owner, workspace=workspace, role=Role.OWNER)
    function = Function.objects.create(
        workspace=workspace, name="Orders", slug="orders", draft_code=DRAFT, draft_settings=[]
    )
    version = FunctionVersion.objects.create(function=function, number=1, code=CURRENT, settings=[])
    function.deployed_version = version
    function.save(update_fields=["deployed_version"])
    source = Source.objects.create(
        workspace=workspace, function=function, name="Orders", slug="orders", version=version,
        webhook_token=secrets.token_urlsafe(32), setting_values={}, secret_values={},
    )  # fmt: skip
    ids = []
    for n in range(count):
        body = {"n": n, "cents": 1000 + n, "customer": f"cus_{n % 97}"}
        incoming = IncomingWebhook(
            "POST", "/hooks/x", "", {"Content-Type": "application/json"}, json.dumps(body).encode()
        )
        ids.append(services.webhook_accept(token=source.webhook_token, webhook=incoming).event.pk)
    services.ingest_events_execute(ingest_event_ids=ids)
    return owner, function, source


def one_round(owner, function, source, count: int) -> dict:
    preview = services.preview_start(actor=owner, function=function, source=source, count=count)
    started = time.perf_counter()
    services.preview_run(preview_id=preview.pk)
    seconds = time.perf_counter() - started
    preview = Preview.objects.get(pk=preview.pk)
    assert preview.status == Preview.Status.FINISHED, (preview.status, preview.failure)
    assert preview.summary["compared"] == count, preview.summary
    return {"seconds": seconds, "summary": preview.summary}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--webhooks", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    with (
        mock.patch("ingest.queue.broker"),  # nothing reaches a broker: the rounds run here
        mock.patch("ingest.receive.rate_limit.admits", return_value=True),
    ):
        print(f"storing {args.webhooks} webhooks (accepted and run on version 1)…", flush=True)
        begun = time.perf_counter()
        owner, function, source = world(args.webhooks)
        print(f"  stored in {time.perf_counter() - begun:.1f} s", flush=True)
        rounds = [one_round(owner, function, source, args.webhooks) for _ in range(args.rounds)]
    summary = rounds[0]["summary"]
    print(
        f"\ncompared {summary['compared']}: {summary['same']} same, "
        f"{summary['different']} different"
    )
    print("| round | seconds | webhooks/s |\n|---|---|---|")
    for number, result in enumerate(rounds, 1):
        rate = args.webhooks / result["seconds"]
        label = f"{number} (cold)" if number == 1 else str(number)
        print(f"| {label} | {result['seconds']:.2f} | {rate:,.0f} |")
    warm = [r["seconds"] for r in rounds[1:]] or [rounds[0]["seconds"]]
    print(f"\nwarm median: {statistics.median(warm):.2f} s for {args.webhooks} webhooks")


if __name__ == "__main__":
    main()
