"""Saved tests of a function: create, change, delete, run them, and the deploy gate.

A saved test is a case of runner.expectations (the format `functions-cli test` reads);
the matching is runner.expectations.match_result, the same everywhere. Secret settings
are references to the function's test secrets (SavedTest.secret_settings): their values
are looked up when the tests run, never stored in a test nor returned.
"""

from dataclasses import dataclass, field

from celery.exceptions import TimeoutError as CeleryTimeout
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from catalog import policy
from catalog.errors import TestRunFailed
from catalog.fields import json_size, kept_too_much
from catalog.models import Function, Interface, SavedTest
from catalog.names import name_problem
from catalog.policy import Action
from catalog.services.audit import audit_record
from catalog.services.test_runs import normalize_request
from catalog.task_results import answer_by
from runner.expectations import MAX_NESTING, expectation_problem, match_result, nests_deeper

# The deploy gate runs every saved test; this bounds how long it may take.
MAX_SAVED_TESTS = 50
_FIELDS = ("name", "request", "settings", "secret_settings", "expect")


@dataclass
class TestOutcome:
    """One saved test's run: passed, or the differences (runner.expectations)."""

    test: SavedTest
    differences: list[str]
    result: dict | None = field(default=None)  # the runner's, secrets redacted

    __test__ = False  # not a pytest class

    @property
    def passed(self) -> bool:
        return not self.differences


@transaction.atomic
def saved_test_create(*, function: Function, actor, **fields) -> SavedTest:
    """A new saved test: name, request, expect, and optional settings (plain values)
    and secret_settings (names of the function's encrypted settings whose test secret
    it uses)."""
    policy.require(policy.membership_of(actor, function.workspace), Action.EDIT_FUNCTIONS)
    _lock_function(function)
    if function.saved_tests.count() >= MAX_SAVED_TESTS:
        raise ValidationError(
            {"name": f"A function keeps at most {MAX_SAVED_TESTS} saved tests; delete one first."}
        )
    test = SavedTest(function=function, created_by=actor, settings={}, secret_settings=[])
    _apply(test, fields, required=("name", "request", "expect"))
    _check_size(test)
    _save(test, None)
    _audit(test, actor, "saved_test.create")
    return test


@transaction.atomic
def saved_test_update(*, saved_test: SavedTest, actor, **changes) -> SavedTest:
    """Change any of name, request, settings, secret_settings and expect."""
    function = saved_test.function
    policy.require(policy.membership_of(actor, function.workspace), Action.EDIT_FUNCTIONS)
    _lock_function(function)
    _apply(saved_test, changes, required=())
    if {"request", "expect"} & set(changes):
        _check_size(saved_test)
    saved_test.updated_at = timezone.now()
    _save(saved_test, [*changes, "updated_at"])
    _audit(saved_test, actor, "saved_test.update", fields=sorted(changes))
    return saved_test


@transaction.atomic
def saved_test_delete(*, saved_test: SavedTest, actor) -> None:
    function = saved_test.function
    policy.require(policy.membership_of(actor, function.workspace), Action.EDIT_FUNCTIONS)
    _lock_function(function)
    _audit(saved_test, actor, "saved_test.delete")
    saved_test.delete()


def _lock_function(function: Function) -> None:
    """The lock a deploy takes to make its version (catalog.services.functions): a test
    changes before the deploy compares the tests it ran with the function's, or after
    the version is made, never in between."""
    Function.objects.select_for_update().filter(pk=function.pk).exists()


def _check_size(test: SavedTest) -> None:
    """The function's saved tests, with this one as it now is, within KEPT_BYTES."""
    others = SavedTest.objects.filter(function=test.function).exclude(pk=test.pk)
    kept = [(test.request, test.expect), *others.values_list("request", "expect")]
    problem = kept_too_much(sum(json_size(r) + json_size(e) for r, e in kept), "saved tests")
    if problem:
        larger = "request" if json_size(test.request) >= json_size(test.expect) else "expect"
        raise ValidationError({larger: problem})


def _save(test: SavedTest, update_fields: list[str] | None) -> None:
    try:
        with transaction.atomic():
            test.save(update_fields=update_fields)
    except IntegrityError:
        raise ValidationError(
            {"name": f"This function already has a test {test.name!r}."}
        ) from None


def _audit(test: SavedTest, actor, action: str, **details) -> None:
    audit_record(
        workspace=test.function.workspace,
        actor=actor,
        action=action,
        target=test.function,
        details={"test": test.name, **details},
    )


def _apply(test: SavedTest, fields: dict, *, required: tuple[str, ...]) -> None:
    unknown = set(fields) - set(_FIELDS)
    if unknown:
        raise TypeError(f"saved tests have no fields {sorted(unknown)}")
    missing = [name for name in required if name not in fields]
    if missing:
        raise ValidationError({name: "This field is required." for name in missing})
    definitions = test.function.draft_settings
    errors = {}
    for name, value in fields.items():
        problem = _CHECKS[name](value, definitions)
        if problem:
            errors[name] = problem
        else:
            setattr(test, name, value.strip() if name == "name" else value)
    if errors:
        raise ValidationError(errors)


def _name_problem(name, definitions) -> str | None:
    if not isinstance(name, str) or not name.strip():
        return "A saved test needs a name."
    if len(name.strip()) > 200:
        return "At most 200 characters."
    # The name is a line of `functions-cli test` output (PASS name) too.
    return name_problem(name.strip())


def _request_problem(request, definitions) -> str | None:
    if nests_deeper(request, MAX_NESTING):
        return (
            f"The request nests deeper than {MAX_NESTING} levels: give such a body as "
            "rawBody (a string)."
        )
    try:
        normalize_request(request)
    except ValidationError as exc:
        return " ".join(exc.message_dict["request"])
    return None


def _settings_problem(values, definitions) -> str | None:
    if not isinstance(values, dict):
        return "Setting values must be an object."
    secret = sorted(set(values) & _encrypted(definitions))
    if secret:
        return (
            f"{secret[0]!r} is a secret setting: a test never keeps its value. List it in "
            "secret_settings to use the function's test secret."
        )
    return None


def _secret_settings_problem(names, definitions) -> str | None:
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        return "A list of setting names."
    unknown = sorted(set(names) - _encrypted(definitions))
    if unknown:
        return f"{unknown[0]!r} is not an encrypted setting of this function."
    return None


def _expect_problem(expect, definitions) -> str | None:
    problem = expectation_problem(expect)
    return f"The expectation {problem}." if problem else None


_CHECKS = {
    "name": _name_problem,
    "request": _request_problem,
    "settings": _settings_problem,
    "secret_settings": _secret_settings_problem,
    "expect": _expect_problem,
}


def _encrypted(definitions: list[dict]) -> set[str]:
    return {d["name"] for d in definitions if d.get("encrypted")}


def saved_tests_run(*, function: Function, actor, code: str | None = None) -> list[TestOutcome]:
    """Run every saved test on the draft (or on unsaved `code`) in a worker: the
    editor's "Run all tests". Same permissions as the editor's Run."""
    membership = policy.membership_of(actor, function.workspace)
    policy.require(membership, Action.TEST_FUNCTIONS)
    if code not in (None, function.draft_code):
        policy.require(membership, Action.RUN_OWN_CODE)
    return run_saved_tests(function, function.draft_code if code is None else code)


def run_saved_tests(function: Function, code: str) -> list[TestOutcome]:
    """Every saved test of the function on `code`, with the draft's settings, interface
    and time limit. For services that have checked the actor (the deploy gate)."""
    tests = list(function.saved_tests.all())
    if not tests:
        return []
    runnable, outcomes = [], {}
    for test in tests:
        missing = [n for n in test.secret_settings if n not in function.test_secrets]
        if missing:
            outcomes[test.pk] = TestOutcome(test, [_no_secret(missing[0])])
        else:
            runnable.append(test)
    results = _run_in_worker(function, code, runnable)
    for test, result in zip(runnable, results, strict=True):
        if result is None:  # past the run's budget
            outcomes[test.pk] = TestOutcome(test, [_not_run()])
        else:
            outcomes[test.pk] = TestOutcome(test, match_result(test.expect, result), result)
    return [outcomes[test.pk] for test in tests]


def _not_run() -> str:
    return (
        f"not run: the saved tests took more than their {_budget_s():g} s in all "
        "(SAVED_TESTS_BUDGET_S); make the slow ones faster, or fewer"
    )


def _budget_s() -> float:
    return django_settings.SAVED_TESTS_BUDGET_S


def _no_secret(name: str) -> str:
    return (
        f"the function has no test value for the secret setting {name!r}: set it in "
        "Configure (test values)"
    )


def _run_in_worker(function: Function, code: str, tests: list[SavedTest]) -> list[dict | None]:
    from catalog.services.test_runs import _secret_names
    from catalog.tasks import run_saved_tests as task
    from catalog.tasks import seal

    if not tests:
        return []
    cases = [
        [normalize_request(t.request), seal({**t.settings, **_secrets(function, t)})] for t in tests
    ]
    limit = function.time_limit
    legacy = function.interface == Interface.LEGACY
    names = _secret_names(function.draft_settings, function.test_secrets)
    budget = _budget_s()
    # The last test may start just before the budget ends, and run its time limit.
    longest = min(len(tests) * limit / 1000, budget + limit / 1000)
    wait_s = longest + django_settings.TEST_RUN_MARGIN_S
    pending = task.apply_async(
        args=[code, cases, legacy, limit, names],
        kwargs={
            "workspace_id": function.workspace_id,
            "answer_by": answer_by(wait_s),
            "budget_s": budget,
        },
        queue="interactive",
    )
    try:
        return pending.get(timeout=wait_s)
    except CeleryTimeout:
        raise TestRunFailed(
            "The saved tests did not finish in time: no worker is consuming the "
            "'interactive' queue, or all are busy. Try again in a moment."
        ) from None
    except Exception as exc:
        raise TestRunFailed(
            f"The saved tests failed in the worker: {type(exc).__name__}."
        ) from None
    finally:
        pending.forget()


def _secrets(function: Function, test: SavedTest) -> dict:
    return {name: function.test_secrets[name] for name in test.secret_settings}
