"""`functions-cli test`: saved test cases run locally through the runner.

The contract is ARCHITECTURE.md, "Saved tests, run locally": one `PASS name` /
`FAIL name` line per case (a failing one followed by its differences, indented), then
`N passed, M failed`. Exit status 0 when all pass, 1 when any fails, 2 for a usage
error (no cases, a file that is not valid JSON or not a case). Needs no server.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from functions_cli.text import printable
from runner.expectations import CaseFormatError, TestCase, match_result, parse_case


class UsageError(Exception):
    """Input the command cannot start with (exit status 2)."""


@dataclass(frozen=True)
class CaseOutcome:
    case: TestCase
    differences: list[str]

    @property
    def passed(self) -> bool:
        return not self.differences


def load_cases(directory: Path) -> list[TestCase]:
    """Every DIR/*.json case, by file name; all are checked before any runs."""
    if not directory.is_dir():
        raise UsageError(f"{directory} is not a directory of test cases")
    files = sorted(directory.glob("*.json"))
    if not files:
        raise UsageError(f"{directory} holds no test cases (*.json files)")
    return [_load_case(path) for path in files]


def _load_case(path: Path) -> TestCase:
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path} is not valid JSON: {exc}") from None
    except RecursionError:
        raise UsageError(f"{path} nests too deeply to be read as JSON") from None
    try:
        return parse_case(obj, where=str(path), default_name=path.stem)
    except CaseFormatError as exc:
        raise UsageError(str(exc)) from None


def load_settings(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        settings = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path} is not valid JSON: {exc}") from None
    if not isinstance(settings, dict):
        raise UsageError(f"{path} must hold a JSON object of setting values")
    return settings


def run_case(code: str, case: TestCase, settings: dict, *, legacy: bool) -> CaseOutcome:
    """Run one case in a fresh isolate; the case's own settings override `settings`."""
    import runner

    result = runner.run(
        code,
        case.request,
        {**settings, **case.settings},
        legacy=legacy,
        allow_private_network=os.environ.get("RUNNER_ALLOW_PRIVATE_NETWORK") == "1",
    )
    return CaseOutcome(case, match_result(case.expect, result.to_dict()))


def run_all(code: str, cases: list[TestCase], settings: dict, *, legacy: bool, out: TextIO) -> int:
    """Run and report every case; the exit status (0 all passed, 1 any failed)."""
    failed = 0
    for case in cases:
        outcome = run_case(code, case, settings, legacy=legacy)
        print(
            f"{'PASS' if outcome.passed else 'FAIL'} {printable(case.name)}", file=out, flush=True
        )
        for line in outcome.differences:
            print(f"    {printable(line)}", file=out)
        failed += not outcome.passed
    print(f"{len(cases) - failed} passed, {failed} failed", file=out)
    return 1 if failed else 0


def server_cases(tests: list[dict]) -> list[TestCase]:
    """The saved tests of a function, as the API lists them, as cases."""
    try:
        return [parse_case(_case(test), where=f"saved test {test.get('name')!r}") for test in tests]
    except CaseFormatError as exc:
        raise UsageError(str(exc)) from None


def _case(test: dict) -> dict:
    # Secret settings are references the server never gives out: --settings supplies them.
    return {key: test[key] for key in ("name", "request", "settings", "expect") if key in test}


def write_cases(directory: Path, tests: list[dict]) -> list[Path]:
    """Write each saved test as DIR/<name>.json in the case format; returns the files."""
    directory.mkdir(parents=True, exist_ok=True)
    taken: set[str] = set()
    written = []
    for test in tests:
        path = directory / case_file_name(test["name"], taken)
        path.write_text(json.dumps(_case(test), indent=2, ensure_ascii=False) + "\n")
        written.append(path)
    return written


def case_file_name(name: str, taken: set[str]) -> str:
    """A file name for a case (its name in lower-case words), unique among `taken`."""
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60] or "case"
    candidate, n = f"{base}.json", 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}.json"
    taken.add(candidate)
    return candidate
