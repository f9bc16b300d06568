"""`functions-cli preview`: a function's draft (or a local file) run on a source's latest
webhooks on the server, compared with what the source's version emitted for each.

Prints the summary counts, then each webhook that differs with its differences
(runner.comparison.comparison_lines). Exit status: 0 when no webhook differs, 1 when
any does, 2 on an error (the server refused, the preview failed or was cancelled).
Ctrl+C cancels the preview on the server.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TextIO

from functions_cli.client import ApiError, Client
from functions_cli.config import ConfigError
from functions_cli.text import printable
from runner.comparison import comparison_lines

POLL_S = 0.5
OVER = ("finished", "cancelled", "failed")


class PreviewFailed(Exception):
    """The preview did not finish; the message says why (exit status 2)."""


def run_preview(
    client: Client, *, source: str, count: int, code_file: Path | None, allow_fetch: bool,
    out: TextIO = sys.stdout, err: TextIO = sys.stderr,
) -> int:  # fmt: skip
    body: dict = {"source": source, "count": count, "allow_fetch": allow_fetch}
    if code_file is not None:
        try:
            body["code"] = code_file.read_text(encoding="utf-8")
        except OSError as exc:
            raise PreviewFailed(f"cannot read {code_file}: {exc.strerror}") from None
    function_id = client.get(f"sources/{source}/")["function"]["id"]
    base = f"functions/{function_id}/previews/"
    preview = client.post(base, body)
    path = f"{base}{preview['id']}/"
    try:
        preview = _wait(client, path, preview, err)
    except KeyboardInterrupt:
        client.post(f"{path}cancel/")
        print("Cancelled the preview.", file=err)
        raise
    if preview["status"] != "finished":
        why = preview.get("failure") or f"the preview was {preview['status']}"
        raise PreviewFailed(why)
    different = client.items(f"{path}webhooks/", same="false")
    _print(preview, different, out)
    return 1 if preview["summary"]["different"] else 0


def _wait(client: Client, path: str, preview: dict, err: TextIO) -> dict:
    shown = -1
    while preview["status"] not in OVER:
        if preview["done"] != shown:
            shown = preview["done"]
            print(f"Previewing on {preview['total']} webhooks… {shown} done", file=err, flush=True)
        time.sleep(POLL_S)
        preview = client.get(path)
    return preview


def _print(preview: dict, different: list[dict], out: TextIO) -> None:
    for line in summary_lines(preview):
        print(line, file=out)
    for webhook in different:
        print(
            f"DIFFERENT webhook #{webhook['ingest_event']} received {webhook['received_at']} "
            f"(compared with version {webhook['version']})",
            file=out,
        )
        for line in comparison_lines(webhook):
            print(f"    {printable(line)}", file=out)


def summary_lines(preview: dict) -> list[str]:
    counts = preview["summary"]
    errors = [
        f"{counts[key]} {one if counts[key] == 1 else many}"
        for key, one, many in (("new_errors", "new error", "new errors"),
                               ("fixed_errors", "error gone", "errors gone"),
                               ("changed_errors", "error changed", "errors changed"))
        if counts[key]
    ]  # fmt: skip
    lines = [
        f"{counts['compared']} webhooks of {preview['source']}: {counts['same']} same, "
        f"{counts['different']} different" + (f" ({', '.join(errors)})" if errors else "")
    ]
    for name in ("events", "objects"):
        c = counts[name]
        lines.append(f"{name}: {c['changed']} changed, {c['new']} new, {c['missing']} missing")
    if counts.get("unavailable"):
        lines.append(f"{counts['unavailable']} webhooks were deleted before they ran")
    lines.append(preview["fetch"])
    return lines


def cmd_preview(args, client_factory) -> int:
    """The command: exit status 2 for whatever keeps the preview from finishing."""
    if not 1 <= args.n <= 1000:
        print("error: -n must be between 1 and 1000", file=sys.stderr)
        return 2
    try:
        return run_preview(
            client_factory(), source=args.source, count=args.n, code_file=args.file,
            allow_fetch=args.allow_fetch,
        )  # fmt: skip
    except (ApiError, ConfigError, PreviewFailed) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
