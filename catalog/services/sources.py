"""Sources: configured instances of a function, each with a webhook URL."""

import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from catalog import policy
from catalog.models import Function, FunctionVersion, Role, Source, Workspace
from catalog.names import name_problem
from catalog.policy import Action
from catalog.services.audit import audit_record
from catalog.services.functions import unique_slug
from catalog.setting_schema import clean_values, known_values, merge_values, revealed_secrets


def new_webhook_token() -> str:
    return secrets.token_urlsafe(32)


def source_runtime_settings(source: Source) -> dict:
    """The decrypted setting values the runner gets as `settings` (secrets included).

    Only for running the function: never log, store or return this.
    """
    return {**source.setting_values, **source.secret_values}


@transaction.atomic
def source_create(
    *,
    workspace: Workspace,
    actor,
    function: Function,
    name: str,
    slug: str = "",
    version: FunctionVersion | None = None,
    follow_deployed: bool = False,
    enabled: bool = True,
    settings: dict | None = None,
) -> Source:
    """Connect a source to a function's deployed version (or a chosen one)."""
    membership = policy.membership_of(actor, workspace)
    policy.require(membership, Action.CREATE_SOURCES)
    if function.workspace_id != workspace.pk:
        raise ValidationError({"function": "No such function in this workspace."})
    version = version or function.deployed_version
    if version is None:
        raise ValidationError(
            {"function": "This function has no deployed version yet; deploy it first."}
        )
    sources = Source.objects.filter(workspace=workspace)
    plain, secret = _valid_source(sources, version, name=name, slug=slug, settings=settings)
    source = Source.objects.create(
        workspace=workspace,
        function=function,
        name=name.strip(),
        slug=slug or unique_slug(sources, name.replace("_", "-")),
        version=version,
        follow_deployed=follow_deployed,
        enabled=enabled,
        webhook_token=new_webhook_token(),
        setting_values=plain,
        secret_values=secret,
        created_by=actor,
    )
    if membership.role == Role.SOURCE_ADMIN and not membership.all_sources:
        # A source admin of chosen sources manages what they connect.
        membership.sources.add(source)
        policy.forget_chosen_sources(membership)
    audit_record(
        workspace=workspace,
        actor=actor,
        action="source.create",
        target=source,
        details={
            "slug": source.slug,
            "function": function.slug,
            "version": version.number,
            "settings": sorted({**plain, **secret}),
        },
    )
    return source


def _valid_source(sources, version, *, name, slug: str, settings: dict | None) -> tuple:
    """The setting values split (plain, secret), or every problem of the form at once:
    a user fixes all of them in one round, not one per submit."""
    errors: dict[str, list[str]] = {}
    if not isinstance(name, str) or not name.strip():
        errors["name"] = ["A source needs a name."]
    elif problem := name_problem(name.strip()):
        errors["name"] = [problem]
    if slug:
        try:
            _check_slug(slug)
        except ValidationError as exc:
            errors.update(exc.message_dict)
        else:
            if sources.filter(slug=slug).exists():
                errors["slug"] = [f"{slug!r} is not a free slug in this workspace."]
    try:
        values = clean_values(version.settings, settings or {})
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    return values


@transaction.atomic
def source_update(
    *,
    source: Source,
    actor,
    name: str | None = None,
    enabled: bool | None = None,
    follow_deployed: bool | None = None,
    settings: dict | None = None,
) -> Source:
    """Rename, enable/disable, (un)follow the deployed version, change setting values.

    settings are merged into the current values: a name set to null is cleared, names
    left out keep their value. The result is validated against the pinned version.
    """
    ensure_source_manager(actor, source)
    fields, details, errors = [], {}, {}
    if name is not None:
        if not name.strip():
            errors["name"] = ["A source needs a name."]
        elif problem := name_problem(name.strip()):
            errors["name"] = [problem]
        else:
            source.name = name.strip()
            fields.append("name")
    for attr, value in (("enabled", enabled), ("follow_deployed", follow_deployed)):
        if value is not None:
            setattr(source, attr, value)
            fields.append(attr)
            details[attr] = value
    if settings is not None:
        try:
            _set_values(source, source.version, settings)
        except ValidationError as exc:
            errors.update(exc.message_dict)
        fields += ["setting_values", "secret_values"]
        details["settings_changed"] = sorted(settings)
    if errors:  # every problem at once, not one per submit
        raise ValidationError(errors)
    source.updated_at = timezone.now()
    source.save(update_fields=[*fields, "updated_at"])
    audit_record(
        workspace=source.workspace,
        actor=actor,
        action="source.update",
        target=source,
        details={"fields": [f for f in fields if f != "secret_values"], **details},
    )
    return source


def _set_values(source: Source, version: FunctionVersion, changes: dict) -> None:
    if not isinstance(changes, dict):
        raise ValidationError({"settings": "Setting values must be an object."})
    _refuse_revealing(source, version, changes)
    current = known_values(version.settings, {**source.setting_values, **source.secret_values})
    merged = merge_values(current, changes)
    source.setting_values, source.secret_values = clean_values(version.settings, merged)


def _refuse_revealing(source: Source, version: FunctionVersion, changes: dict) -> None:
    """A secret of the source that `version` declares plain: the move is refused unless
    the request gives the setting a new value or clears it (docs/catalog.md)."""
    names = revealed_secrets(version.settings, source.secret_values, changes)
    if not names:
        return
    raise ValidationError(
        {
            f"settings.{name}": [
                f"{name} is a secret (encrypted) setting of version {source.version.number} "
                f"and a plain one of version {version.number}: its value would be stored "
                "and shown in clear. Give it a new value with this move, or null to drop it."
            ]
            for name in names
        }
    )


@transaction.atomic
def source_upgrade(
    *, source: Source, actor, version: FunctionVersion, settings: dict | None = None
) -> Source:
    """Move a source to another version of its function (upgrade or rollback), ending
    any rollout on it.

    The setting values (with any changes given) are re-validated against that version;
    values of settings it does not have are dropped. Nothing changes when they do not fit,
    nor when a secret value would become a plain one (see _refuse_revealing).
    """
    ensure_source_manager(actor, source)
    if version.function_id != source.function_id:
        raise ValidationError({"version": "That version belongs to another function."})
    previous = source.version
    _set_values(source, version, settings or {})
    source.version = version
    # A move ends any rollout: every new webhook runs on the version moved to.
    source.rollout_version, source.rollout_share, source.rollout_started_at = None, 0, None
    # and a rollback is history: the version moved to is the one chosen now.
    source.rolled_back_version, source.rolled_back_at = None, None
    source.updated_at = timezone.now()
    source.save(
        update_fields=[
            "version", "setting_values", "secret_values", "updated_at",
            "rollout_version", "rollout_share", "rollout_started_at",
            "rolled_back_version", "rolled_back_at",
        ]
    )  # fmt: skip
    audit_record(
        workspace=source.workspace,
        actor=actor,
        action="source.upgrade" if version.number > previous.number else "source.rollback",
        target=source,
        details={
            "from_version": previous.number,
            "to_version": version.number,
            "settings_changed": sorted(settings or {}),
        },
    )
    return source


def source_rotate_token(*, source: Source, actor) -> Source:
    """A new webhook URL; the old one stops working at once."""
    ensure_source_manager(actor, source)
    source.webhook_token = new_webhook_token()
    source.updated_at = timezone.now()
    source.save(update_fields=["webhook_token", "updated_at"])
    audit_record(
        workspace=source.workspace, actor=actor, action="source.rotate_token", target=source
    )
    return source


@transaction.atomic
def source_delete(*, source: Source, actor) -> None:
    ensure_source_manager(actor, source)
    audit_record(
        workspace=source.workspace,
        actor=actor,
        action="source.delete",
        target=source,
        details={"slug": source.slug, "function": source.function.slug},
    )
    source.delete()


# A source's slug names its schema in the workspace's warehouses (ingest/deliver/
# destinations/warehouse/names.py: "-" becomes "_"): with no "_" of their own, two
# slugs never name one schema. Send test loads into the schema send_test.
RESERVED_SLUGS = {"send-test"}


def _check_slug(slug: str) -> None:
    if slugify(slug) != slug or "_" in slug or slug in RESERVED_SLUGS:
        raise ValidationError(
            {
                "slug": f"{slug!r} cannot be a source's slug: use lowercase letters, digits "
                "and single hyphens (it names the source's warehouse schema; not "
                f"{', '.join(sorted(RESERVED_SLUGS))})."
            }
        )


def ensure_source_manager(actor, source: Source) -> None:
    """Refuse who may not manage the source: change, move, roll out, rotate or delete it
    (Action.MANAGE_SOURCE); the one check of every service that does."""
    policy.require(policy.membership_of(actor, source.workspace), Action.MANAGE_SOURCE, source)
