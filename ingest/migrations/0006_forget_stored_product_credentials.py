"""Webhooks and captures stored before the receive stage dropped them kept the product's
own credentials a browser sent with a GET (its session and CSRF cookies), where the
function's author could read them: they are removed from the stored headers. The rule
is ingest.receive.accept.is_kept_header's, as it was written then."""

import re

from django.db import migrations
from django.db.models import Q

DROPPED = ("Cookie", "Cookie2", "Proxy-Authorization", "X-Csrftoken")
PRODUCT_BEARER = re.compile(r"\bbearer\s+sfi_", re.IGNORECASE)
BATCH = 500


def _credentials_of(headers: dict) -> list[str]:
    names = [name for name in headers if name in DROPPED]
    value = headers.get("Authorization")
    if isinstance(value, str) and PRODUCT_BEARER.search(value):
        names.append("Authorization")
    return names


def _scrub(model) -> None:
    holding = Q()
    for name in (*DROPPED, "Authorization"):
        holding |= Q(headers__has_key=name)
    changed = []
    for row in model.objects.filter(holding).only("pk", "headers").iterator(chunk_size=BATCH):
        names = _credentials_of(row.headers)
        if not names:
            continue
        row.headers = {k: v for k, v in row.headers.items() if k not in names}
        changed.append(row)
        if len(changed) >= BATCH:
            model.objects.bulk_update(changed, ["headers"])
            changed = []
    if changed:
        model.objects.bulk_update(changed, ["headers"])


def forget_product_credentials(apps, schema_editor) -> None:
    _scrub(apps.get_model("ingest", "IngestEvent"))
    _scrub(apps.get_model("ingest", "Capture"))


class Migration(migrations.Migration):
    dependencies = [
        ("ingest", "0005_previews"),
    ]

    operations = [
        migrations.RunPython(forget_product_credentials, migrations.RunPython.noop, elidable=True),
    ]
