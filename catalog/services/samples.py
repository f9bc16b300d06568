"""Samples of a function: requests kept with it, each with its own test settings (the
editor's "Sample payload" menu). A function made from a template starts with the
template's samples.

Changing a sample's name or request is editing the function (owners); changing its
test settings is what changing the function's test values is (who may Run). Setting
values follow the function's test values: null or "" clears one, an absent name or
`{"set": true}` keeps it, secrets are encrypted and never returned.
"""

import json

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from catalog import policy
from catalog.models import Function, FunctionSample
from catalog.names import name_problem
from catalog.policy import Action
from catalog.services.audit import audit_record
from catalog.services.test_runs import normalize_request
from catalog.setting_schema import merge_test_values

MAX_SAMPLES = 50
# The editor loads every sample of a function when it opens it: one sample may be as
# large as a webhook (the API takes some 2 MB), their requests together at most this
# many bytes as JSON (50 of 2 MB were a 100 MB list for every page load).
MAX_SAMPLES_BYTES = 5_000_000
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
    problem = _size_problem(sum(_size(sample.request) for sample in made))
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


def _size(request) -> int:
    return len(json.dumps(request, ensure_ascii=False, separators=(",", ":")).encode())


def _check_size(sample: FunctionSample) -> None:
    """The function's samples, with this one's request as it now is, within
    MAX_SAMPLES_BYTES."""
    others = FunctionSample.objects.filter(function=sample.function).exclude(pk=sample.pk)
    total = _size(sample.request) + sum(map(_size, others.values_list("request", flat=True)))
    problem = _size_problem(total)
    if problem:
        raise ValidationError({"request": problem})


def _size_problem(total: int) -> str | None:
    if total <= MAX_SAMPLES_BYTES:
        return None
    return (
        f"A function's samples hold at most {MAX_SAMPLES_BYTES:,} bytes "
        f"({MAX_SAMPLES_BYTES / 1_000_000:g} MB) of requests in all; these would hold "
        f"{total:,}. Delete a sample, or keep a smaller request."
    )


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
