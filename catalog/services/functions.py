"""Function classes: create, save the draft, deploy versions, restore, delete."""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify

from catalog import policy
from catalog.errors import CodeDoesNotCompile, DraftChanged, FunctionHasSources, SavedTestsFailed
from catalog.models import WEBHOOK_METHODS, Function, FunctionVersion, Interface, Source, Workspace
from catalog.names import is_readable, name_problem
from catalog.policy import Action
from catalog.run_policy import clean_retry_policy, clean_time_limit
from catalog.services.audit import audit_record
from catalog.services.samples import samples_add
from catalog.services.saved_tests import run_saved_tests
from catalog.setting_schema import (
    clean_definitions,
    clean_values,
    known_values,
    merge_test_values,
    revealed_secrets,
)

STARTER_CODE = """\
async function onRequest(request, settings) {
  const body = request.json();
  Segment.track({ event: 'Webhook Received', userId: body.userId, properties: body });
}
"""

_DRAFT_FIELDS = (
    "name", "description", "interface", "code", "settings", "methods", "responds",
    "time_limit_ms", "retry_policy",
)  # fmt: skip


def _ensure_editor(actor, workspace: Workspace) -> None:
    policy.require(policy.membership_of(actor, workspace), Action.EDIT_FUNCTIONS)


def unique_slug(queryset, base: str, *, exclude_pk=None) -> str:
    """base, or base-2, base-3… whichever is free in the queryset."""
    base = slugify(base)[:50] or "function"
    taken = set(
        queryset.filter(slug__startswith=base).exclude(pk=exclude_pk).values_list("slug", flat=True)
    )
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def _check_interface(interface: str) -> None:
    if interface not in Interface.values:
        raise ValidationError({"interface": f"Must be one of {', '.join(Interface.values)}."})


def clean_methods(methods) -> list[str]:
    """The methods a function's sources accept, in WEBHOOK_METHODS order: POST always,
    and those of the others it names."""
    if not isinstance(methods, list | tuple) or not all(isinstance(m, str) for m in methods):
        raise ValidationError({"methods": 'Methods must be a list such as ["POST", "GET"].'})
    named = {method.upper() for method in methods}
    unknown = sorted(named - set(WEBHOOK_METHODS))
    if unknown:
        accepted = ", ".join(WEBHOOK_METHODS)
        raise ValidationError(
            {"methods": f"A webhook URL accepts {accepted}, not {', '.join(unknown)}."}
        )
    return [method for method in WEBHOOK_METHODS if method in named or method == "POST"]


def _check_responds(responds) -> bool:
    if not isinstance(responds, bool):
        raise ValidationError({"responds": "Must be true or false."})
    return responds


def _check_name(name) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ValidationError({"name": "A function needs a name."})
    problem = name_problem(name.strip())
    if problem:
        raise ValidationError({"name": problem})
    return name.strip()


@transaction.atomic
def function_create(
    *,
    workspace: Workspace,
    actor,
    name: str,
    slug: str = "",
    description: str = "",
    interface: str = Interface.ON_REQUEST,
    code: str | None = None,
    settings: list | None = None,
    methods: list | None = None,
    responds: bool | None = None,
    template: str | None = None,
    time_limit_ms: int | None = None,
    retry_policy: dict | None = None,
    samples: list | None = None,
) -> Function:
    """A new function, from scratch or from a template of catalog.function_templates
    (whose methods, answer to the sender and samples it takes unless given). `samples`:
    [{name, request, settings?}], the function's samples, each with its own test
    settings (catalog.services.samples). `time_limit_ms` and `retry_policy` as for
    function_save (None: the defaults)."""
    _ensure_editor(actor, workspace)
    if template:
        starting_point = _template(template)
        code = starting_point.code if code is None else code
        settings = list(starting_point.settings) if settings is None else settings
        methods = list(starting_point.methods) if methods is None else methods
        responds = starting_point.responds if responds is None else responds
        samples = _template_samples(starting_point) if samples is None else samples
        description = description or starting_point.description
        name = name or starting_point.name
    name = _check_name(name)
    _check_interface(interface)
    functions = Function.objects.filter(workspace=workspace)
    if slug and (slugify(slug) != slug or functions.filter(slug=slug).exists()):
        raise ValidationError({"slug": f"{slug!r} is not a free slug in this workspace."})
    function = Function(
        workspace=workspace,
        name=name,
        slug=slug or unique_slug(functions, name),
        description=description,
        interface=interface,
        draft_code=STARTER_CODE if code is None else code,
        draft_settings=clean_definitions(settings or []),
        methods=clean_methods(methods or ["POST"]),
        responds=_check_responds(False if responds is None else responds),
        created_by=actor,
        updated_by=actor,
    )
    _apply_run_policy(
        function, {"time_limit_ms": time_limit_ms, "retry_policy": retry_policy or {}}
    )
    function.save()
    made = samples_add(function, samples or [])
    audit_record(
        workspace=workspace,
        actor=actor,
        action="function.create",
        target=function,
        details={
            "name": function.name,
            "template": template or None,
            "samples": [sample.name for sample in made],
        },
    )
    return function


def _template_samples(template) -> list[dict]:
    return [
        {"name": s["name"], "request": s["request"], "settings": s.get("settings") or {}}
        for s in template.samples
    ]


def _template(slug: str):
    from catalog import function_templates

    try:
        return function_templates.get_template(slug)
    except (KeyError, LookupError, ValueError):
        raise ValidationError({"template": f"There is no template {slug!r}."}) from None


@transaction.atomic
def function_save(*, function: Function, actor, **changes) -> Function:
    """Save the draft (Save). Never touches deployed versions or sources.

    changes: any of name, description, interface, code, settings (definitions),
    methods (those its sources accept), responds (whether the sender gets what the
    function returns), time_limit_ms (ms, or None for the deployment's default) and
    retry_policy (any of retry_on, attempts, first_delay_s, max_delay_s, over the draft's;
    catalog.run_policy). All but the name and description reach sources with the next
    version, as the code does.
    """
    _ensure_editor(actor, function.workspace)
    unknown = set(changes) - set(_DRAFT_FIELDS)
    if unknown:
        raise TypeError(f"function_save got unexpected fields {sorted(unknown)}")
    fields = _apply_draft(function, changes)
    function.updated_by = actor
    function.updated_at = timezone.now()
    function.save(update_fields=[*fields, "updated_by", "updated_at"])
    details = {"fields": sorted(changes)}
    if "settings" in changes:
        details["settings"] = [d["name"] for d in function.draft_settings]
    audit_record(
        workspace=function.workspace,
        actor=actor,
        action="function.save",
        target=function,
        details=details,
    )
    return function


def _apply_draft(function: Function, changes: dict) -> list[str]:
    fields = []
    if "name" in changes:
        function.name = _check_name(changes["name"])
        fields.append("name")
    if "description" in changes:
        function.description = changes["description"] or ""
        fields.append("description")
    if "interface" in changes:
        _check_interface(changes["interface"])
        function.interface = changes["interface"]
        fields.append("interface")
    if "code" in changes:
        function.draft_code = changes["code"] or ""
        fields.append("draft_code")
    if "settings" in changes:
        function.draft_settings = clean_definitions(changes["settings"])
        fields.append("draft_settings")
    if "methods" in changes:
        function.methods = clean_methods(changes["methods"])
        fields.append("methods")
    if "responds" in changes:
        function.responds = _check_responds(changes["responds"])
        fields.append("responds")
    return fields + _apply_run_policy(function, changes)


def _apply_run_policy(function: Function, changes: dict) -> list[str]:
    fields = []
    if "time_limit_ms" in changes:
        function.time_limit_ms = clean_time_limit(changes["time_limit_ms"])
        fields.append("time_limit_ms")
    if "retry_policy" in changes:
        function.set_retry_fields(
            clean_retry_policy(changes["retry_policy"], function.retry_fields())
        )
        fields += ["retry_on", "retry_attempts", "retry_first_delay_s", "retry_max_delay_s"]
    return fields


@dataclass
class Deployment:
    version: FunctionVersion
    # Sources following the deployed version that moved to it, and those whose setting
    # values do not fit the new version (they stay where they were).
    moved: list[Source] = field(default_factory=list)
    held: list[Source] = field(default_factory=list)


def function_deploy(
    *, function: Function, actor, message: str = "", deploy_anyway: str = "", **changes
) -> Deployment:
    """Save & Deploy: save the draft (with any changes), compile it, run its saved tests
    (the deploy gate) and make it version N+1.

    Code that does not compile is never deployed, whatever `deploy_anyway` says: the
    draft stays saved and CodeDoesNotCompile gives the SyntaxError at its line. When a
    saved test fails the draft stays saved but is not deployed
    (SavedTestsFailed names the failing tests), unless `deploy_anyway` gives the
    reason, which the audit log keeps. Pinned sources stay on their version; sources
    that follow the deployed version move to it when their setting values fit it.
    """
    if changes:
        function_save(function=function, actor=actor, **changes)
    else:
        _ensure_editor(actor, function.workspace)
    code = function.draft_code
    _ensure_compiles(code, legacy=function.interface == Interface.LEGACY)
    outcomes = run_saved_tests(function, code)
    failed = [outcome for outcome in outcomes if not outcome.passed]
    if failed and not is_readable(deploy_anyway):
        raise SavedTestsFailed(
            f"Not deployed: {len(failed)} of {len(outcomes)} saved tests fail on the draft "
            f"({', '.join(o.test.name for o in failed)}). The draft is saved. Fix the code "
            "or the tests, or deploy anyway with a reason.",
            failed_tests=[{"name": o.test.name, "differences": o.differences} for o in failed],
        )
    return _deploy_version(
        function, actor, code, message, outcomes, deploy_anyway.strip()[:500] if failed else ""
    )


def _ensure_compiles(code: str, *, legacy: bool) -> None:
    """Refuse code V8 cannot compile. The check runs in a sandbox process of this one
    (runner.compile_error), not through a worker: it runs none of the code, takes
    milliseconds, and a deploy without saved tests needs no worker."""
    import runner

    error = runner.compile_error(code, legacy=legacy)
    if error is None:
        return
    where = f" at line {error['line']}, column {error['column']}" if error.get("line") else ""
    words = f"{error['name']}: {error['message']}{where}"
    raise CodeDoesNotCompile(
        f"Not deployed: the draft does not compile ({words}). The draft is saved; fix the "
        "code and deploy again.",
        errors={"code": [words]},
        compile_error=error,
    )


@transaction.atomic
def _deploy_version(
    function: Function, actor, code: str, message: str, outcomes: list, reason: str
) -> Deployment:
    # Lock the function so two deploys cannot take the same number, and deploy only
    # the code its tests ran on.
    locked = Function.objects.select_for_update().filter(pk=function.pk).first()
    if outcomes and locked.draft_code != code:
        raise DraftChanged("The draft changed while its saved tests ran. Deploy again.")
    # The version records the tests it passed: those that ran, as they are now.
    ran = sorted((o.test.pk, o.test.updated_at) for o in outcomes)
    if ran != sorted(function.saved_tests.values_list("pk", "updated_at")):
        raise DraftChanged("The saved tests changed while they ran. Deploy again.")
    last = function.versions.aggregate(n=Max("number"))["n"] or 0
    version = FunctionVersion.objects.create(
        function=function,
        number=last + 1,
        code=code,
        settings=function.draft_settings,
        interface=function.interface,
        methods=function.methods,
        responds=function.responds,
        message=(message or "")[:500],
        test_results=[{"name": o.test.name, "passed": o.passed} for o in outcomes],
        author=actor,
        **function.run_policy_values(),
    )
    function.deployed_version = version
    function.save(update_fields=["deployed_version"])
    deployment = Deployment(version=version)
    for source in function.sources.filter(follow_deployed=True).select_related("version"):
        if _move_source(source, version):
            deployment.moved.append(source)
        else:
            deployment.held.append(source)
    details = {
        "version": version.number,
        "message": version.message,
        "methods": version.methods,
        "responds": version.responds,
        "moved_sources": [s.slug for s in deployment.moved],
        "held_sources": [s.slug for s in deployment.held],
    }
    if reason:
        details["failed_tests"] = [o.test.name for o in outcomes if not o.passed]
        details["deploy_anyway_reason"] = reason
    audit_record(
        workspace=function.workspace,
        actor=actor,
        action="function.deploy_anyway" if reason else "function.deploy",
        target=function,
        details=details,
    )
    return deployment


def fitting_values(source: Source, version: FunctionVersion) -> tuple[dict, dict] | None:
    """The source's (plain, secret) values as `version` takes them, or None: when they do
    not fit, or when the version declares plain a setting the source keeps encrypted."""
    if revealed_secrets(version.settings, source.secret_values, {}):
        return None
    current = {**source.setting_values, **source.secret_values}
    try:
        return clean_values(version.settings, known_values(version.settings, current))
    except ValidationError:
        return None


def _move_source(source: Source, version: FunctionVersion) -> bool:
    """Move a following source to the new version, or hold it when its values do not fit
    or while a rollout of another version runs on it."""
    # A rollout started since the sources were read (it takes this lock too) holds it.
    source.refresh_from_db(
        fields=["rollout_version"], from_queryset=Source.objects.select_for_update()
    )
    values = None if source.rollout_version_id else fitting_values(source, version)
    if values is None:
        return False
    source.version = version
    source.setting_values, source.secret_values = values
    source.updated_at = timezone.now()
    source.save(update_fields=["version", "setting_values", "secret_values", "updated_at"])
    return True


@transaction.atomic
def function_restore(*, function: Function, actor, version: FunctionVersion) -> Function:
    """Copy a version's code, settings, interface, methods, answer, time limit and retry
    policy into the draft."""
    function_save(
        function=function,
        actor=actor,
        code=version.code,
        settings=version.settings,
        interface=version.interface,
        methods=version.methods,
        responds=version.responds,
        time_limit_ms=version.time_limit_ms,
        retry_policy=version.retry_fields(),
    )
    audit_record(
        workspace=function.workspace,
        actor=actor,
        action="function.restore",
        target=function,
        details={"version": version.number},
    )
    return function


@transaction.atomic
def function_delete(*, function: Function, actor, force: bool = False) -> list[str]:
    """Delete a function, its versions and, only with force, its sources.

    Returns the slugs of the sources deleted with it.
    """
    _ensure_editor(actor, function.workspace)
    slugs = list(function.sources.order_by("slug").values_list("slug", flat=True))
    if slugs and not force:
        raise FunctionHasSources(
            f"{len(slugs)} source(s) run this function and would be deleted with it: "
            f"{', '.join(slugs)}. Confirm with force=true.",
            sources=slugs,
        )
    audit_record(
        workspace=function.workspace,
        actor=actor,
        action="function.delete",
        target=function,
        details={"name": function.name, "slug": function.slug, "deleted_sources": slugs},
    )
    function.sources.all().delete()
    function.deployed_version = None
    function.save(update_fields=["deployed_version"])
    function.delete()
    return slugs


def function_set_test_values(*, function: Function, actor, values: dict) -> Function:
    """Keep setting values for the editor's Run of a request that is no sample (a
    capture, one typed by hand). Null or "" clears one; secrets are encrypted."""
    policy.require(policy.membership_of(actor, function.workspace), Action.TEST_FUNCTIONS)
    function.test_values, function.test_secrets = merge_test_values(
        function.draft_settings, function.test_values, function.test_secrets, values
    )
    function.save(update_fields=["test_values", "test_secrets"])
    audit_record(
        workspace=function.workspace,
        actor=actor,
        action="function.test_settings",
        target=function,
        details={"settings_changed": sorted(values)},
    )
    return function
