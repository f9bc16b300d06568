"""Entry point of `functions-cli`. Each command is a small function over the Client."""

import argparse
import dataclasses
import sys
import time
from pathlib import Path

from functions_cli import config as config_file
from functions_cli import preview, saved_tests
from functions_cli.client import ApiError, Client
from functions_cli.config import Config, ConfigError
from functions_cli.text import counted, printable

FOLLOW_INTERVAL_S = 2.0


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command is None:
        parser().print_help()
        return 2
    try:
        return args.handler(args) or 0
    except (ConfigError, ApiError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except saved_tests.UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="functions-cli", description=__doc__)
    commands = root.add_subparsers(dest="command", metavar="COMMAND")

    login = commands.add_parser("login", help="save the server, workspace and token to use")
    login.add_argument("--url", required=True, help="e.g. http://127.0.0.1:8000")
    login.add_argument("--workspace", required=True, help="the workspace slug")
    login.add_argument("--token", required=True, help="an API token of that workspace")
    login.add_argument("--user", default="", help="your email (checked: the token's own is saved)")
    login.set_defaults(handler=cmd_login)

    logs = commands.add_parser("logs", help="show a source's latest executions")
    logs.add_argument("--source", required=True, help="the source slug")
    logs.add_argument("-n", type=int, default=100, help="how many (1-100, default 100)")
    logs.add_argument("--follow", "-f", action="store_true", help="keep printing new ones")
    logs.set_defaults(handler=cmd_logs)

    replay = commands.add_parser("replay", help="replay dead letters of a source")
    replay.add_argument("--source", required=True)
    replay.add_argument("--all", action="store_true", help="every dead letter of the source")
    replay.add_argument("ids", nargs="*", type=int, help="ingest event ids")
    replay.add_argument("--version", choices=["pinned", "deployed"], default="pinned")
    replay.add_argument(
        "--redeliver", action="store_true", help="deliver again what was delivered before"
    )
    replay.set_defaults(handler=cmd_replay)

    push = commands.add_parser("push", help="save a file as a function's draft")
    push.add_argument("file", type=Path)
    push.add_argument("--function", required=True, help="the function slug")
    push.add_argument("--deploy", action="store_true", help="also deploy it as a new version")
    push.add_argument("--message", default="", help="the deploy message")
    push.add_argument("--deploy-anyway", default="", metavar="REASON",
                      help="deploy even if saved tests fail (the reason is audited)")  # fmt: skip
    push.set_defaults(handler=cmd_push)

    pull = commands.add_parser("pull", help="write a function's draft (or a version) to a file")
    pull.add_argument("--function", required=True)
    pull.add_argument("--version", type=int, help="a version number instead of the draft")
    pull.add_argument("-o", "--output", type=Path, help="default: <function slug>.js")
    pull.add_argument("--tests", type=Path, metavar="DIR", help="also write its saved tests here")
    pull.set_defaults(handler=cmd_pull)

    test_parser(commands)
    preview_parser(commands)

    destinations_parser(commands)

    run = commands.add_parser("run", help="run a function locally (the runner CLI)")
    run.add_argument("rest", nargs=argparse.REMAINDER, help="FUNCTION.js --request REQUEST.json …")
    run.set_defaults(handler=cmd_run)
    return root


def test_parser(commands) -> None:
    test = commands.add_parser(
        "test",
        help="run saved test cases locally",
        description="FUNCTION.js --tests DIR runs the case files DIR/*.json; --function F "
        "runs the function's draft on its saved tests, fetched from the server. "
        "Exit status: 0 all passed, 1 any failed, 2 usage error.",
    )
    test.add_argument("file", type=Path, nargs="?", metavar="FUNCTION.js")
    test.add_argument("--tests", type=Path, metavar="DIR", help="a directory of case files")
    test.add_argument("--function", help="a function slug: its draft and saved tests")
    test.add_argument("--settings", type=Path, metavar="SETTINGS.json",
                      help="setting values for all cases (a case's own override them)")  # fmt: skip
    test.add_argument("--legacy", action="store_true", help="exports.processEvents interface")
    test.set_defaults(handler=cmd_test)


def preview_parser(commands) -> None:
    command = commands.add_parser(
        "preview",
        help="run the draft on a source's latest webhooks and show what would change",
        description="Runs the source's function's draft (or FUNCTION.js) on the source's "
        "latest webhooks on the server, in the sandbox (nothing is stored or delivered), "
        "and compares what it emits with what the source's version emitted. Exit status: "
        "0 no webhook differs, 1 some differ, 2 error.",
    )
    command.add_argument("file", type=Path, nargs="?", metavar="FUNCTION.js",
                         help="code to preview instead of the saved draft (owners)")  # fmt: skip
    command.add_argument("--source", required=True, help="the source slug")
    command.add_argument(
        "-n", type=int, default=100, help="how many webhooks (1-1000, default 100)"
    )
    command.add_argument(
        "--allow-fetch", action="store_true", help="let the draft's fetch calls really go out"
    )
    command.set_defaults(handler=cmd_preview)


def destinations_parser(commands) -> None:
    parsers = commands.add_parser("destinations", help="where the workspace's data goes")
    actions = parsers.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser("list", help="the destinations and their last 24 h").set_defaults(
        handler=cmd_destinations_list
    )
    add = actions.add_parser("add", help="add a destination (it is checked first)")
    add.add_argument("--name", required=True)
    add.add_argument("--kind", required=True, choices=["segment", "webhook", "postgres", "duckdb"])
    add.add_argument("--config", action="append", default=[], metavar="FIELD=VALUE",
                     help="e.g. preset=segment, base_url=…, url=…")  # fmt: skip
    add.add_argument("--credential", action="append", default=[], metavar="FIELD=VALUE",
                     help="e.g. write_key=…, dsn=…, secret=… (never shown again)")  # fmt: skip
    add.add_argument("--messages", choices=["all", "events", "objects"], default="all")
    add.set_defaults(handler=cmd_destinations_add)
    test = actions.add_parser("test", help="send one synthetic event and show the answer")
    test.add_argument("destination", help="the destination's name or id")
    test.set_defaults(handler=cmd_destinations_test)
    replay = actions.add_parser("replay", help="send delivery dead letters again")
    replay.add_argument("destination", help="the destination's name or id")
    replay.add_argument("--all", action="store_true", help="every dead letter of it")
    replay.add_argument("ids", nargs="*", type=int, help="delivery ids")
    replay.set_defaults(handler=cmd_destinations_replay)


def cmd_login(args) -> int:
    config = Config(url=args.url.rstrip("/"), workspace=args.workspace, token=args.token)
    # Proves the URL, workspace and token, and says whose token it is.
    me = Client(config).get("")
    user = str(me.get("user") or "")
    if args.user and user and args.user.strip().lower() != user.lower():
        raise ApiError(f"This token is {user}'s, not {args.user}'s: nothing was saved.")
    config = dataclasses.replace(config, user=user or args.user)
    path = config_file.save(config)
    role = f" ({me['role']})" if me.get("role") else ""
    print(f"Logged in to {config.url} as {config.user}{role}, workspace {config.workspace}. "
          f"Saved to {path}.")  # fmt: skip
    return 0


def cmd_logs(args) -> int:
    if not 1 <= args.n <= 100:
        raise ApiError("-n must be between 1 and 100.")
    client = Client(config_file.load())
    path = f"sources/{args.source}/logs/"
    executions = list(reversed(client.get(path, limit=args.n)["results"]))
    for execution in executions:
        print(format_execution(execution))
    seen = max((e["id"] for e in executions), default=0)
    while args.follow:
        time.sleep(FOLLOW_INTERVAL_S)
        fresh = [e for e in reversed(client.get(path, limit=100)["results"]) if e["id"] > seen]
        for execution in fresh:
            print(format_execution(execution), flush=True)
        # Ids follow when an execution finished, the list when it started: keep the top.
        seen = max([seen, *(e["id"] for e in fresh)])
    return 0


def format_execution(execution: dict) -> str:
    """One readable block per execution: a summary line, then error and console logs,
    one line each (what a sender sent is in both: printable)."""
    line = (
        f"{execution['started_at']}  #{execution['ingest_event']} attempt {execution['attempt']}"
        f"{' (replay)' if execution.get('is_replay') else ''}  {execution['status'].upper():<9}"
        f"  {execution['duration_ms']:.1f} ms  {execution['event_count']} events"
        f"  {execution['object_count']} objects"
    )
    lines = [line]
    error = execution.get("error")
    if error:
        where = (
            f" (line {error['line']}, column {error.get('column', '?')})"
            if error.get("line")
            else ""
        )
        said = f"{error.get('name')}: {error.get('message')}"
        lines.append(f"    {printable(said)}{where}")
    for log in execution.get("logs") or []:
        said = f"[{log.get('level', 'log')}] {log.get('message', '')}"
        lines.append(f"    {printable(said)}")
    return "\n".join(lines)


def cmd_replay(args) -> int:
    if args.all == bool(args.ids):
        raise ApiError("Give the ingest event ids to replay, or --all (not both).")
    body = {"version": args.version, "redeliver": args.redeliver,
            **({"all": True} if args.all else {"ids": args.ids})}  # fmt: skip
    result = Client(config_file.load()).post(f"sources/{args.source}/dead-letters/replay/", body)
    replayed = result["replayed"]
    listed = ", ".join(map(str, replayed)) or "none"
    print(f"Replaying {counted(len(replayed), 'dead letter')}: {listed}.")
    return 0


def cmd_destinations_list(args) -> int:
    destinations = Client(config_file.load()).items("destinations/")
    if not destinations:
        print("No destinations yet: add one with `functions-cli destinations add`.")
    for d in destinations:
        stats = d["stats"]
        state = "enabled" if d["enabled"] else "disabled"
        counts = ", ".join(f"{stats[n]} {n}" for n in ("delivered", "retrying", "failed"))
        print(
            f"#{d['id']}  {d['name']}  ({d['kind']}, {d['messages']}, {state})  last 24 h: {counts}"
        )
        if stats.get("last_error"):
            last = stats["last_error"]["message"].splitlines()[0]
            print(f"    last error: {printable(last)}")
    return 0


def _fields(pairs: list[str], option: str) -> dict:
    fields = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise ApiError(f"{option} takes FIELD=VALUE, not '{pair}'.")
        fields[name] = value
    return fields


def cmd_destinations_add(args) -> int:
    body = {
        "name": args.name, "kind": args.kind, "messages": args.messages,
        "config": _fields(args.config, "--config"),
        "credentials": _fields(args.credential, "--credential"),
    }  # fmt: skip
    created = Client(config_file.load()).post("destinations/", body)
    print(f"Added destination #{created['id']} {created['name']} ({created['kind']}).")
    for name, value in (created.get("generated") or {}).items():
        print(f"Its {name} (shown this once, keep it for the receiver): {value}")
    return 0


def _destination(client: Client, key: str) -> dict:
    for destination in client.items("destinations/"):
        if key in (str(destination["id"]), destination["name"]):
            return destination
    raise ApiError(f"No destination '{key}' in workspace '{client.config.workspace}'.")


def cmd_destinations_test(args) -> int:
    client = Client(config_file.load())
    destination = _destination(client, args.destination)
    result = client.post(f"destinations/{destination['id']}/test/")
    status = f"HTTP {result['status']}, " if result.get("status") else ""
    if result["ok"]:
        print(f"{destination['name']} took the test event ({status}{result['seconds']:.2f} s).")
        return 0
    print(f"{destination['name']} refused the test event ({status}{result['seconds']:.2f} s): "
          f"{printable(result['error'])}", file=sys.stderr)  # fmt: skip
    if result.get("detail"):
        print(printable(result["detail"]), file=sys.stderr)
    return 1


def cmd_destinations_replay(args) -> int:
    if args.all == bool(args.ids):
        raise ApiError("Give the delivery ids to replay, or --all (not both).")
    client = Client(config_file.load())
    destination = _destination(client, args.destination)
    body = {"all": True} if args.all else {"ids": args.ids}
    replayed = client.post(f"destinations/{destination['id']}/dead-letters/replay/", body)
    ids = replayed["replayed"]
    listed = ", ".join(map(str, ids)) or "none"
    print(f"Sending {counted(len(ids), 'dead letter')} again: {listed}.")
    return 0


def _function(client: Client, slug: str) -> dict:
    for function in client.items("functions/"):
        if function["slug"] == slug:
            return function
    raise ApiError(f"No function '{slug}' in workspace '{client.config.workspace}'.")


def cmd_push(args) -> int:
    try:
        code = args.file.read_text()
    except OSError as exc:
        raise ApiError(f"Cannot read {args.file}: {exc.strerror}.") from exc
    client = Client(config_file.load())
    function = _function(client, args.function)
    if not args.deploy:
        client.patch(f"functions/{function['id']}/", {"code": code})
        print(f"Saved {args.file} as the draft of {args.function}; running sources are untouched.")
        return 0
    body = {"code": code, "message": args.message}
    if args.deploy_anyway:
        body["deploy_anyway"] = args.deploy_anyway
    try:
        deployment = client.post(f"functions/{function['id']}/deploy/", body)
    except ApiError as exc:
        error = exc.body.get("compile_error") if isinstance(exc.body, dict) else None
        if error:
            raise ApiError("\n".join([str(exc), *where_in_file(args.file, code, error)])) from None
        raise
    print(f"Saved {args.file} and deployed version {deployment['version']['number']}.")
    return 0


def where_in_file(path: Path, code: str, error: dict) -> list[str]:
    """A compile error as a compiler prints it: FILE:LINE:COLUMN, the line, a caret."""
    line, column = error.get("line"), error.get("column") or 1
    head = f"{error['name']}: {error['message']}"
    lines = code.splitlines()
    if not line or line > len(lines):
        return [f"{path}: {head}"]
    text = lines[line - 1]
    caret = "".join(c if c == "\t" else " " for c in text[: column - 1]) + "^"
    return [f"{path}:{line}:{column}: {head}", f"    {text}", f"    {caret}"]


def cmd_pull(args) -> int:
    client = Client(config_file.load())
    function = _function(client, args.function)
    if args.version:
        code = client.get(f"functions/{function['id']}/versions/{args.version}/")["code"]
    else:
        code = client.get(f"functions/{function['id']}/")["code"]
    output = args.output or Path(f"{args.function}.js")
    output.write_text(code)
    print(f"Wrote {output}.")
    if args.tests:
        tests = client.items(f"functions/{function['id']}/tests/")
        written = saved_tests.write_cases(args.tests, tests)
        print(f"Wrote {counted(len(written), 'saved test')} to {args.tests}.")
    return 0


def cmd_test(args) -> int:
    if bool(args.function) == bool(args.file):
        raise saved_tests.UsageError("give FUNCTION.js --tests DIR, or --function F (not both)")
    settings = saved_tests.load_settings(args.settings)
    if args.file:
        if args.tests is None:
            raise saved_tests.UsageError("FUNCTION.js needs --tests DIR, the case files")
        try:
            code = args.file.read_text(encoding="utf-8")
        except OSError as exc:
            raise saved_tests.UsageError(f"cannot read {args.file}: {exc.strerror}") from None
        cases, legacy = saved_tests.load_cases(args.tests), args.legacy
    else:
        client = Client(config_file.load())
        function = _function(client, args.function)
        code = client.get(f"functions/{function['id']}/")["code"]
        cases = saved_tests.server_cases(client.items(f"functions/{function['id']}/tests/"))
        if not cases:
            raise saved_tests.UsageError(f"{args.function} has no saved tests")
        legacy = args.legacy or function.get("interface") == "legacy"
    return saved_tests.run_all(code, cases, settings, legacy=legacy, out=sys.stdout)


def cmd_preview(args) -> int:
    return preview.cmd_preview(args, lambda: Client(config_file.load()))


def cmd_run(args) -> int:
    from runner.cli import main as runner_main

    return runner_main(["run", *args.rest])


if __name__ == "__main__":
    sys.exit(main())
