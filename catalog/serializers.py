"""Output shapes of the catalog API, shared by its views (inputs live next to each view).

Secret setting values are never in an output: they appear as {"set": true/false}.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog import policy
from catalog.models import (
    WEBHOOK_METHODS,
    AccessToken,
    AuditEntry,
    Function,
    FunctionVersion,
    Invite,
    Membership,
    Source,
)
from catalog.policy import Action
from catalog.run_policy import RetryOn
from catalog.setting_schema import TYPES, masked_values


class SettingDefinitionOutput(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    description = serializers.CharField()
    type = serializers.ChoiceField(choices=TYPES)
    required = serializers.BooleanField()
    encrypted = serializers.BooleanField()


@extend_schema_field(
    {
        "type": "object",
        "description": 'Setting values by name; a secret one only as {"set": true|false}.',
        "additionalProperties": {},
    }
)
class MaskedValuesField(serializers.Field):
    """Reads (definitions, plain, secret) from the object through `source` methods."""

    def __init__(self, definitions: str, plain: str, secret: str, **kwargs) -> None:
        self.names = (definitions, plain, secret)
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, obj):
        definitions, plain, secret = (_attr(obj, name) for name in self.names)
        return masked_values(definitions, plain, secret)


def _attr(obj, dotted: str):
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return obj


class RetryPolicyOutput(serializers.Serializer):
    """A retry policy as it applies (catalog.run_policy.RetryPolicy.to_dict)."""

    retry_on = serializers.ChoiceField(
        choices=RetryOn.choices,
        help_text="any_failure: every error but the function's verdicts on the payload and "
        "code that cannot load; retry_error_and_timeouts: RetryError and TimeoutError only "
        "(and the platform's own failures).",
    )
    attempts = serializers.IntegerField(help_text="Attempts in all, the first included (1–10).")
    first_delay_s = serializers.FloatField(help_text="The wait after the first failure.")
    max_delay_s = serializers.FloatField(help_text="The longest wait; each doubles up to it.")
    waits_s = serializers.ListField(
        child=serializers.FloatField(),
        help_text="The waits between the attempts before jitter (each is 80–100 % of its own).",
    )
    summary = serializers.CharField(help_text="The policy in one sentence.")

    def to_representation(self, instance):
        return super().to_representation(instance.to_dict())


class UserField(serializers.CharField):
    """A user as their email."""

    def __init__(self, **kwargs) -> None:
        super().__init__(read_only=True, allow_null=True, **kwargs)

    def to_representation(self, user):
        return user.email or user.username


class WorkspaceOutput(serializers.ModelSerializer):
    """A workspace as one of the user's memberships: with their role in it."""

    slug = serializers.CharField(source="workspace.slug")
    name = serializers.CharField(source="workspace.name")
    user = serializers.CharField(source="user.email", help_text="You: the member's email.")

    class Meta:
        model = Membership
        fields = ["slug", "name", "role", "all_sources", "user"]


class FunctionSummaryOutput(serializers.ModelSerializer):
    deployed_version = serializers.IntegerField(
        source="deployed_version.number", allow_null=True, read_only=True
    )
    source_count = serializers.IntegerField(read_only=True)
    sources_behind = serializers.IntegerField(
        read_only=True, help_text="Sources on an older version than the deployed one."
    )
    created_by = UserField()
    updated_by = UserField()

    class Meta:
        model = Function
        fields = [
            "id", "name", "slug", "description", "interface", "deployed_version",
            "source_count", "sources_behind", "created_by", "created_at", "updated_by",
            "updated_at",
        ]  # fmt: skip


def methods_field(**kwargs) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.ChoiceField(choices=WEBHOOK_METHODS),
        help_text="The methods its sources' webhook URLs accept: POST always, and PUT, "
        "PATCH, GET when named.",
        **kwargs,
    )


def responds_field(**kwargs) -> serializers.BooleanField:
    return serializers.BooleanField(
        help_text="Its webhooks run at once and the sender gets what the function returns "
        "(docs/ingest.md, Answering the sender); otherwise the sender is answered before "
        "the function runs.",
        **kwargs,
    )


class RunPolicyOutput(serializers.Serializer):
    """The time limit and retry policy of a function's draft or of a version (a base
    of their outputs, which list these fields)."""

    time_limit_ms = serializers.IntegerField(
        source="time_limit", help_text="The time limit per execution, in ms (100–10,000)."
    )
    time_limit_is_default = serializers.SerializerMethodField(
        help_text="True when no time limit was chosen: the deployment's default applies."
    )
    retry_policy = RetryPolicyOutput()

    def get_time_limit_is_default(self, obj) -> bool:
        return obj.time_limit_ms is None


RUN_POLICY_OUTPUT = ["time_limit_ms", "time_limit_is_default", "retry_policy"]


class FunctionOutput(RunPolicyOutput, serializers.ModelSerializer):
    deployed_version = serializers.IntegerField(
        source="deployed_version.number", allow_null=True, read_only=True
    )
    code = serializers.CharField(source="draft_code")
    methods = methods_field(read_only=True)
    responds = responds_field(read_only=True)
    settings = SettingDefinitionOutput(source="draft_settings", many=True)
    test_settings = MaskedValuesField("draft_settings", "test_values", "test_secrets")
    created_by = UserField()
    updated_by = UserField()

    class Meta:
        model = Function
        fields = [
            "id", "name", "slug", "description", "interface", "methods", "responds",
            "deployed_version", "code", "settings", "test_settings", *RUN_POLICY_OUTPUT,
            "created_by", "created_at", "updated_by", "updated_at",
        ]  # fmt: skip


class VersionSummaryOutput(serializers.ModelSerializer):
    author = UserField()
    methods = methods_field(read_only=True)
    responds = responds_field(read_only=True)

    class Meta:
        model = FunctionVersion
        fields = ["number", "message", "interface", "methods", "responds", "author", "created_at"]


class VersionOutput(RunPolicyOutput, serializers.ModelSerializer):
    author = UserField()
    settings = SettingDefinitionOutput(many=True)
    methods = methods_field(read_only=True)
    responds = responds_field(read_only=True)

    class Meta:
        model = FunctionVersion
        fields = [
            "number", "message", "interface", "methods", "responds", "author", "created_at",
            "code", "settings", "test_results", *RUN_POLICY_OUTPUT,
        ]  # fmt: skip


class FunctionRefOutput(serializers.ModelSerializer):
    class Meta:
        model = Function
        fields = ["id", "slug", "name"]


class RolloutOutput(serializers.Serializer):
    version = serializers.IntegerField(source="rollout_version.number")
    share = serializers.IntegerField(
        source="rollout_share", help_text="Percent of new webhooks run on the new version."
    )
    started_at = serializers.DateTimeField(source="rollout_started_at")


class SourceOutput(serializers.ModelSerializer):
    function = FunctionRefOutput()
    version = serializers.IntegerField(source="version.number")
    deployed_version = serializers.IntegerField(
        source="function.deployed_version.number", allow_null=True
    )
    behind = serializers.BooleanField(
        source="is_behind", help_text="The function has a newer deployed version."
    )
    webhook_url = serializers.SerializerMethodField(
        help_text="null unless you manage the source: the URL works as a write credential."
    )
    settings = MaskedValuesField("version.settings", "setting_values", "secret_values")
    rollout = serializers.SerializerMethodField(help_text="The gradual rollout running, or null.")
    rollback_note = serializers.CharField(
        help_text="Why the last rollout was rolled back automatically; empty when none was."
    )

    class Meta:
        model = Source
        fields = [
            "id", "name", "slug", "function", "version", "deployed_version", "behind",
            "follow_deployed", "enabled", "webhook_url", "settings", "rollout", "rollback_note",
            "created_at", "updated_at",
        ]  # fmt: skip

    @extend_schema_field(RolloutOutput(allow_null=True))
    def get_rollout(self, source: Source) -> dict | None:
        return RolloutOutput(source).data if source.rollout_version_id else None

    def get_webhook_url(self, source: Source) -> str | None:
        """Needs the viewer's membership in the context (catalog.api.base); without it,
        nobody sees the URL."""
        if policy.allows(self.context.get("membership"), Action.SEE_WEBHOOK_URL, source):
            return source.webhook_url
        return None


class MemberOutput(serializers.ModelSerializer):
    email = serializers.CharField(source="user.email")
    sources = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    invited = serializers.SerializerMethodField(help_text="True until the user sets a password.")

    class Meta:
        model = Membership
        fields = ["id", "email", "role", "all_sources", "sources", "invited", "created_at"]

    def get_invited(self, membership) -> bool:
        return not membership.user.has_usable_password()


class InvitationOutput(serializers.ModelSerializer):
    """An invitation as its workspace's owners see it: the same for an email that has
    an account as for one that has none (nothing tells them apart)."""

    email = serializers.CharField(source="user.email")
    sources = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    invited = serializers.SerializerMethodField(help_text="True: not a member until accepted.")

    class Meta:
        model = Invite
        fields = [
            "id", "email", "role", "all_sources", "sources", "invited", "created_at",
            "expires_at",
        ]  # fmt: skip

    def get_invited(self, invite) -> bool:
        return True


class MyInvitationOutput(serializers.ModelSerializer):
    """An invitation as the invited account sees it."""

    workspace = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    workspace_name = serializers.CharField(source="workspace.name")
    invited_by = UserField(source="created_by")

    class Meta:
        model = Invite
        fields = ["id", "workspace", "workspace_name", "role", "invited_by", "created_at",
                  "expires_at"]  # fmt: skip


class TokenOutput(serializers.ModelSerializer):
    owner = UserField(source="user")
    active = serializers.BooleanField(source="is_active")

    class Meta:
        model = AccessToken
        fields = [
            "id",
            "name",
            "hint",
            "owner",
            "active",
            "created_at",
            "last_used_at",
            "revoked_at",
        ]


class AuditOutput(serializers.ModelSerializer):
    actor = UserField()

    class Meta:
        model = AuditEntry
        fields = ["id", "actor", "action", "target_type", "target_id", "details", "created_at"]


class TemplateSummaryOutput(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    settings = SettingDefinitionOutput(many=True)
    methods = methods_field()
    responds = responds_field()


class TemplateOutput(TemplateSummaryOutput):
    code = serializers.CharField()
    samples = serializers.ListField(child=serializers.JSONField())


class SenderResponseOutput(serializers.Serializer):
    status = serializers.IntegerField(min_value=200, max_value=599)
    headers = serializers.DictField(child=serializers.CharField())
    body = serializers.CharField(allow_blank=True)


class RunResultOutput(serializers.Serializer):
    events = serializers.ListField(child=serializers.DictField())
    objects = serializers.ListField(child=serializers.DictField())
    logs = serializers.ListField(child=serializers.DictField())
    error = serializers.DictField(allow_null=True)
    fetches = serializers.ListField(child=serializers.DictField())
    duration_ms = serializers.FloatField()
    response = SenderResponseOutput(
        allow_null=True,
        help_text="What the function returned for the webhook's sender; null when it "
        "returned nothing (the sender gets the usual answer) or failed.",
    )


@extend_schema_field(OpenApiTypes.OBJECT)
class JSONObjectField(serializers.JSONField):
    """Any JSON object (a request, setting values)."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not isinstance(value, dict):
            raise serializers.ValidationError("Must be a JSON object.")
        return value
