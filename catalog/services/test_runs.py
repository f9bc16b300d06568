"""The editor's Run: a function's draft, unsaved code or a version, on a request."""

from django.conf import settings as django_settings
from django.core.exceptions import ValidationError

from catalog import policy
from catalog.errors import TestRunFailed
from catalog.models import Function, FunctionSample, FunctionVersion, Interface, Workspace
from catalog.policy import Action
from catalog.run_policy import time_limit
from catalog.setting_schema import check_value, clean_definitions, merge_values
from catalog.task_results import ResultTimeout, answer_by, result_within


def normalize_request(request) -> dict:
    """A request in either form of ARCHITECTURE.md, as the runner wants it."""
    import runner

    normalize = getattr(runner, "normalize_request", None)
    if not isinstance(request, dict):
        raise ValidationError({"request": "The request must be a JSON object."})
    if normalize is None:
        return request
    try:
        return normalize(request)
    except ValueError as exc:
        raise ValidationError({"request": str(exc)}) from None


def function_test_run(
    *,
    function: Function,
    actor,
    request: dict | None = None,
    settings: dict | None = None,
    code: str | None = None,
    version: FunctionVersion | None = None,
    sample: FunctionSample | None = None,
) -> dict:
    """Run the draft (or unsaved code, or a version) in a worker and return its result.

    Setting values are the function's test values, or the sample's own when `sample` is
    given (never both: one sample's secret never reaches another's run), with `settings`
    laid over them (null leaves one out); they are only used for this run. `request`
    defaults to the sample's. It runs with the draft's time limit (the version's, for
    a version) and an empty cache, on the `interactive` queue, never in the web process;
    waits up to that limit plus a margin.
    """
    _ensure_may_run(actor, function.workspace, own_code=code not in (None, function.draft_code))
    if version is not None:
        code, definitions, interface = version.code, version.settings, version.interface
    else:
        code = function.draft_code if code is None else code
        definitions, interface = function.draft_settings, function.interface
    held = sample if sample is not None else function
    if request is None:
        if sample is None:
            raise ValidationError({"request": "Give a request, or a sample to run."})
        request = sample.request
    values = _test_values({**held.test_values, **held.test_secrets}, definitions, settings or {})
    secret_names = _secret_names(definitions, held.test_secrets)
    limit = (version or function).time_limit
    return _run_in_worker(
        function.workspace_id, code, request, values, interface, secret_names, limit
    )


def code_test_run(
    *,
    workspace: Workspace,
    actor,
    code: str,
    request: dict,
    definitions: list | None = None,
    interface: str = Interface.ON_REQUEST,
    settings: dict | None = None,
) -> dict:
    """Run code no function holds yet (the editor of a new function, before Configure).

    Nothing is stored and no stored value is read: the setting values are `settings`,
    checked against `definitions`. Same permission, queue and wait as function_test_run.
    """
    _ensure_may_run(actor, workspace)
    definitions = clean_definitions(definitions or [])
    values = _test_values({}, definitions, settings or {})
    secret_names = _secret_names(definitions, {})
    return _run_in_worker(
        workspace.pk, code, request, values, interface, secret_names, time_limit(None)
    )


def _ensure_may_run(actor, workspace: Workspace, *, own_code: bool = False) -> None:
    """The one check of every Run (the editor's and the scratch one), before anything
    of the request is looked at. own_code: code other than the saved draft, run with
    the function's stored test values (which it could print)."""
    membership = policy.membership_of(actor, workspace)
    policy.require(membership, Action.TEST_FUNCTIONS)
    if own_code:
        policy.require(membership, Action.RUN_OWN_CODE)


def _run_in_worker(
    workspace_id: int,
    code: str,
    request,
    values: dict,
    interface: str,
    secret_names: list[str],
    timeout_ms: int,
) -> dict:
    from catalog.tasks import run_function_test, seal

    wait_s = timeout_ms / 1000 + django_settings.TEST_RUN_MARGIN_S
    pending = run_function_test.apply_async(
        args=[
            code,
            normalize_request(request),
            seal(values),
            interface == Interface.LEGACY,
            timeout_ms,
            secret_names,
        ],
        kwargs={"workspace_id": workspace_id, "answer_by": answer_by(wait_s)},
        queue="interactive",
    )
    try:
        return result_within(pending, wait_s)
    except ResultTimeout:
        raise TestRunFailed(
            "The test run did not finish in time: no worker is consuming the "
            "'interactive' queue, or all are busy (this workspace's functions may be using "
            "all of its share of the workers). Try again in a moment."
        ) from None
    except Exception as exc:
        raise TestRunFailed(f"The test run failed in the worker: {type(exc).__name__}.") from None
    finally:
        pending.forget()


def _secret_names(definitions: list[dict], test_secrets: dict) -> list[str]:
    """The settings whose values the run's output must not show: the encrypted ones,
    and the stored test secrets (of settings the draft may no longer define)."""
    names = {d["name"] for d in definitions if d.get("encrypted")} | set(test_secrets)
    return sorted(names)


def _test_values(stored: dict, definitions: list[dict], overrides: dict) -> dict:
    """Stored test values plus overrides; types checked for the settings defined.

    Names the definitions lack are passed through: the editor may run unsaved code
    that reads settings not yet defined.
    """
    if not isinstance(overrides, dict):
        raise ValidationError({"settings": "Setting values must be an object."})
    values = merge_values(stored, overrides)
    errors = {}
    for definition in definitions:
        value = values.get(definition["name"])
        problem = value is not None and check_value(definition, value)
        if problem:
            errors[f"settings.{definition['name']}"] = [problem]
    if errors:
        raise ValidationError(errors)
    return values
