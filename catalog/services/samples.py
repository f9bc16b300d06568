"""Samples of a function: requests kept with it, each with its own test settings (the
editor's "Sample payload" menu). A function made from a template starts with the
template's samples.

Changing a sample's name or request is editing the function (owners); changing its
test settings is what changing the function's test values is (who may Run). Setting
values follow the function's test values: null or "" clears one, an absent name or
`{"set": true}` keeps it, secrets are encrypted and never returned.
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from catalog import policy
from catalog.fields import json_size, kept_too_much
from catalog.models import Function, FunctionSample
from catalog.names import name_problem
from catalog.policy import Action
from catalog.services.audit import audit_record
from catalog.services.test_runs import normalize_request
from catalog.setting_schema import merge_test_values

MAX_SAMPLES = 50
_FIELDS = ("name", "request", "settings")


def samples_add(function: Function, samples: list) -> list[FunctionSample]:
    """The samples a new function starts with ([{name, request, settings?}], in order),
    for function_create, which has checked the actor. Errors are keyed by the sample's
    place: `samples[1].name`, `samples[0].settings.signingSecret`."""
    if not isinstance(samples, list | tuple) or len(samples) > MAX_SAMPLES:
        raise ValidationError({"samples": f"A list of at most {MAX_SAMPLES} samples."})
    made, errors, seen = [], {}, set()
    for index, given in enumerate(samples):
        if not isinstance(given, dict):
            errors[f"samples[{index}]"] = ["A sample is an object {name, request, settings}."]
            continue
        sample = FunctionSample(function=function, position=index)
        try:
            _apply(sample, {"settings": {}, **given}, required=("name", "request"))
        except ValidationError as problem:
            errors.update({f"samples[{index}].{k}": v for k, v in problem.message_dict.items()})
        if sample.name and sample.name in seen:
            errors[f"samples[{index}].name"] = [f"Another sample is already named {sample.name!r}."]
        seen.add(sample.name)
        made.append(sample)
    if errors:
        raise ValidationError(errors)
    problem = kept_too_much(sum(json_size(sample.request) for sample in made), "samples")
    if problem:
        raise ValidationError({"samples": problem})
    return FunctionSample.objects.bulk_create(made)


@transaction.atomic
def sample_create(*, function: Function, actor, **fields) -> FunctionSample:
    """A new sample at the end of the function's: name, request and optional settings."""
    policy.require(policy.membership_of(actor, function.workspace), Action.EDIT_FUNCTIONS)
    # Under the function's lock: samples added at once are counted one after the other.
    Function.objects.select_for_update().filter(pk=function.pk).first()
    count = function.samples.count()
    if count >= MAX_SAMPLES:
        raise ValidationError(
            {"name": f"A function keeps at most {MAX_SAMPLES} samples; delete one first."}
        )
    sample = FunctionSample(function=function, position=count)
    _apply(sample, fields, required=("name", "request"))
    _check_size(sample)
    _save(sample, None)
    _audit(sample, actor, "sample.create")
    return sample


def sample_update(*, sample: FunctionSample, actor, **changes) -> FunctionSample:
    """Change any of name and request (owners) and settings (who may Run)."""
    membership = policy.membership_of(actor, sample.function.workspace)
    policy.require(membership, Action.TEST_FUNCTIONS)
    if set(changes) - {"settings"}:
        policy.require(membership, Action.EDIT_FUNCTIONS)
    _apply(sample, changes, required=())
    if "request" in changes:
        _check_size(sample)
    sample.updated_at = timezone.now()
    fields = [f for f in ("name", "request") if f in changes]
    if "settings" in changes:
        fields += ["test_values", "test_secrets"]
    _save(sample, [*fields, "updated_at"])
    details = {"fields": sorted(changes)}
    if "settings" in changes:
        details["settings_changed"] = sorted(changes["settings"])
    _audit(sample, actor, "sample.update", **details)
    return sample


def sample_delete(*, sample: FunctionSample, actor) -> None:
    policy.require(policy.membership_of(actor, sample.function.workspace), Action.EDIT_FUNCTIONS)
    _audit(sample, actor, "sample.delete")
    sample.delete()


def _apply(sample: FunctionSample, fields: dict, *, required: tuple[str, ...]) -> None:
    unknown = sorted(set(fields) - set(_FIELDS))
    if unknown:
        raise ValidationError({unknown[0]: "Not a field of a sample (name, request, settings)."})
    missing = [name for name in required if name not in fields]
    if missing:
        raise ValidationError({name: "This field is required." for name in missing})
    errors = {}
    if "name" in fields:
        name = fields["name"]
        if not isinstance(name, str) or not name.strip() or len(name.strip()) > 200:
            errors["name"] = ["A sample needs a name of at most 200 characters."]
        elif problem := name_problem(name.strip()):
            errors["name"] = [problem]
        else:
            sample.name = name.strip()
    if "request" in fields:
        try:
            normalize_request(fields["request"])
            sample.request = fields["request"]
        except ValidationError as problem:
            errors.update(problem.message_dict)
    if "settings" in fields:
        try:
            sample.test_values, sample.test_secrets = merge_test_values(
                sample.function.draft_settings,
                sample.test_values,
                sample.test_secrets,
                fields["settings"],
            )
        except ValidationError as problem:
            errors.update(problem.message_dict)
    if errors:
        raise ValidationError(errors)


def _check_size(sample: FunctionSample) -> None:
    """The function's samples, with this one's request as it now is, within KEPT_BYTES."""
    others = FunctionSample.objects.filter(function=sample.function).exclude(pk=sample.pk)
    sizes = map(json_size, [sample.request, *others.values_list("request", flat=True)])
    problem = kept_too_much(sum(sizes), "samples")
    if problem:
        raise ValidationError({"request": problem})


def _save(sample: FunctionSample, update_fields: list[str] | None) -> None:
    try:
        with transaction.atomic():
            sample.save(update_fields=update_fields)
    except IntegrityError:
        raise ValidationError(
            {"name": f"This function already has a sample {sample.name!r}."}
        ) from None


def _audit(sample: FunctionSample, actor, action: str, **details) -> None:
    audit_record(
        workspace=sample.function.workspace,
        actor=actor,
        action=action,
        target=sample.function,
        details={"sample": sample.name, **details},
    )
