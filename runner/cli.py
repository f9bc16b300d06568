"""`python -m runner run FUNCTION.js --request REQUEST.json [--settings S.json] [--legacy]
[--timeout-ms N] [--secret NAME ...]`: prints one JSON object (the Result) on stdout.

`--secret NAME` (repeatable) marks a setting as secret: its value is redacted from the
error, logs and fetch records, as for an encrypted setting of an instance.

Exit status: 0 when the function returned, 1 when it failed, 2 for a usage error.
RUNNER_ALLOW_PRIVATE_NETWORK=1 lets fetch reach private and loopback addresses. With
PUBLIC_URL set (the product's address, as the server has it), fetch refuses the
product's own webhook URLs, PUBLIC_URL/hooks/..., as a source's execution does. Each run
starts with an empty `cache`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from runner.limits import Limits
from runner.pool import MAX_TIMEOUT_MS, run
from runner.request import RequestFormatError, load_request_file


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse exits 2 too; keep stdout clean
        self.print_usage(sys.stderr)
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        sys.exit(2)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m runner", description="Run a source function locally.")
    commands = parser.add_subparsers(dest="command", required=True)
    run_cmd = commands.add_parser("run", help="run FUNCTION.js on one request")
    run_cmd.add_argument("function", metavar="FUNCTION.js")
    run_cmd.add_argument("--request", required=True, metavar="REQUEST.json")
    run_cmd.add_argument("--settings", metavar="SETTINGS.json")
    run_cmd.add_argument("--legacy", action="store_true", help="exports.processEvents interface")
    run_cmd.add_argument(
        "--timeout-ms",
        type=int,
        metavar="N",
        help=f"the time limit in ms (1–{MAX_TIMEOUT_MS:,}; default {DEFAULT_TIMEOUT_MS:,}): "
        "give the one set in the function's Configure",
    )
    run_cmd.add_argument(
        "--secret",
        action="append",
        default=[],
        metavar="NAME",
        help="a setting whose value is secret: redacted from errors, logs and fetch records",
    )
    return parser


DEFAULT_TIMEOUT_MS = Limits().timeout_ms
# A function's time limit is set per function (Configure), which a local file does not say.
TIMEOUT_HINT = (
    "This run had the default time limit, {default:,} ms. A function may have up to "
    "{most:,} ms, set in its Configure: give the same here with --timeout-ms."
)


def _usage_error(message: str) -> int:
    sys.stderr.write(f"python -m runner: error: {message}\n")
    return 2


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    timeout_ms = DEFAULT_TIMEOUT_MS if args.timeout_ms is None else args.timeout_ms
    problem = Limits.problem("timeout_ms", timeout_ms)
    if problem:
        return _usage_error(f"--timeout-ms: {problem}")
    try:
        with open(args.function, encoding="utf-8") as handle:
            code = handle.read()
        request = load_request_file(args.request)
        settings = {}
        if args.settings:
            with open(args.settings, encoding="utf-8") as handle:
                settings = json.load(handle)
    except (OSError, RequestFormatError, json.JSONDecodeError) as exc:
        return _usage_error(str(exc))
    if not isinstance(settings, dict):
        return _usage_error("the settings file must hold a JSON object")
    unknown = [name for name in args.secret if name not in settings]
    if unknown:
        return _usage_error(f"--secret {unknown[0]}: the settings have no {unknown[0]!r}")
    allow_private = os.environ.get("RUNNER_ALLOW_PRIVATE_NETWORK") == "1"
    public_url = os.environ.get("PUBLIC_URL", "").rstrip("/")
    result = run(
        code,
        request,
        settings,
        legacy=args.legacy,
        timeout_ms=timeout_ms,
        allow_private_network=allow_private,
        secret_names=args.secret,
        own_webhook_urls=[f"{public_url}/hooks/"] if public_url else (),
    )
    if result.error and result.error["name"] == "TimeoutError" and args.timeout_ms is None:
        hint = TIMEOUT_HINT.format(default=timeout_ms, most=MAX_TIMEOUT_MS)
        result.error["hint"] = " ".join(filter(None, [result.error.get("hint"), hint]))
    sys.stdout.write(json.dumps(result.to_dict()) + "\n")
    return 1 if result.error else 0
