"""What a workspace owns: members and roles, functions and their versions, sources
(configured instances of a function), access tokens, invites and the audit log.

Writes go through catalog.services; permission rules live in catalog.policy.
"""

from django.conf import settings as django_settings
from django.db import models
from django.utils import timezone
from django_cryptography.fields import encrypt

from catalog import run_policy
from catalog.fields import UserJSONField
from catalog.run_policy import RetryOn


class Workspace(models.Model):
    slug = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.slug


class Role(models.TextChoices):
    OWNER = "owner", "Workspace Owner"
    SOURCE_ADMIN = "source_admin", "Source Admin"
    MEMBER = "member", "Member"


class Membership(models.Model):
    user = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    # A source admin manages every source of the workspace, or only the chosen ones.
    all_sources = models.BooleanField(default=True)
    sources = models.ManyToManyField("Source", blank=True, related_name="admin_memberships")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "workspace"], name="one_membership_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.workspace} as {self.role}"


class Interface(models.TextChoices):
    ON_REQUEST = "onRequest", "onRequest(request, settings)"
    LEGACY = "legacy", "legacy (exports.processEvents)"


# The methods a source's webhook URL may accept. POST always; a function may declare the
# others (GET for senders that verify a URL with a GET, PUT and PATCH for those that send so).
WEBHOOK_METHODS = ("POST", "PUT", "PATCH", "GET")


def default_methods() -> list[str]:
    return ["POST"]


def methods_in_words(methods) -> str:
    """The methods in words, in WEBHOOK_METHODS' order: `POST and GET`, `POST, PUT and GET`."""
    named = [method for method in WEBHOOK_METHODS if method in methods]
    return named[0] if len(named) == 1 else f"{', '.join(named[:-1])} and {named[-1]}"


class RunPolicyFields(models.Model):
    """How executions run and are retried (catalog.run_policy): a Function's draft,
    copied into each FunctionVersion it deploys. Null is the deployment's default."""

    time_limit_ms = models.PositiveIntegerField(null=True, blank=True)
    retry_on = models.CharField(max_length=30, choices=RetryOn.choices, default=RetryOn.ANY_FAILURE)
    retry_attempts = models.PositiveSmallIntegerField(default=run_policy.DEFAULT_ATTEMPTS)
    retry_first_delay_s = models.FloatField(null=True, blank=True)
    retry_max_delay_s = models.FloatField(null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def time_limit(self) -> int:
        """The time limit per execution, in ms."""
        return run_policy.time_limit(self.time_limit_ms)

    @property
    def retry_policy(self) -> run_policy.RetryPolicy:
        return run_policy.retry_policy(
            self.retry_on, self.retry_attempts, self.retry_first_delay_s, self.retry_max_delay_s
        )

    def retry_fields(self) -> dict:
        """The retry policy as stored, in the API's names (a null delay is the default)."""
        return {
            "retry_on": self.retry_on,
            "attempts": self.retry_attempts,
            "first_delay_s": self.retry_first_delay_s,
            "max_delay_s": self.retry_max_delay_s,
        }

    def set_retry_fields(self, fields: dict) -> None:
        self.retry_on, self.retry_attempts = fields["retry_on"], fields["attempts"]
        self.retry_first_delay_s = fields["first_delay_s"]
        self.retry_max_delay_s = fields["max_delay_s"]

    def run_policy_values(self) -> dict:
        """The stored fields, to copy into another RunPolicyFields."""
        return {name: getattr(self, name) for name in RUN_POLICY_FIELDS}


RUN_POLICY_FIELDS = (
    "time_limit_ms", "retry_on", "retry_attempts", "retry_first_delay_s", "retry_max_delay_s",
)  # fmt: skip


class Function(RunPolicyFields):
    """A function class: the draft being edited and the version new sources get."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="functions")
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=60)
    description = models.TextField(blank=True, default="")
    interface = models.CharField(
        max_length=20, choices=Interface.choices, default=Interface.ON_REQUEST
    )
    draft_code = models.TextField(blank=True, default="")
    draft_settings = UserJSONField(default=list, blank=True, error_key="settings")
    # How its sources' webhook URLs answer (versioned with the code: a version keeps its own).
    methods = UserJSONField(default=default_methods, blank=True)
    responds = models.BooleanField(default=False)
    deployed_version = models.ForeignKey(
        "FunctionVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Values the editor's Run uses; secret ones are encrypted like a source's.
    test_values = UserJSONField(default=dict, blank=True, error_key="settings")
    test_secrets = encrypt(models.JSONField(default=dict, blank=True))
    created_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "slug"], name="function_slug_per_workspace"
            )
        ]
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return f"{self.workspace.slug}/{self.slug}"

    @property
    def sources_behind(self) -> int:
        """How many of its sources are behind (Source.is_behind). Reads `sources.all()`,
        which lists prefetch (catalog.selectors.function_list)."""
        return sum(source.is_behind for source in self.sources.all())


class FunctionVersion(RunPolicyFields):
    """An immutable snapshot of a function's draft, made by Save & Deploy: its code,
    settings, interface, time limit and retry policy."""

    function = models.ForeignKey(Function, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    code = models.TextField()
    settings = UserJSONField(default=list)
    interface = models.CharField(max_length=20, choices=Interface.choices)
    # The methods its sources accept (WEBHOOK_METHODS, POST always) and whether a webhook
    # is run at once so that the sender gets what the function returns (docs/ingest.md).
    methods = UserJSONField(default=default_methods, blank=True)
    responds = models.BooleanField(default=False)
    message = models.CharField(max_length=500, blank=True, default="")
    # The saved tests the deploy gate ran on it: [{"name", "passed"}], in name order.
    test_results = UserJSONField(default=list, blank=True)
    author = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["function", "number"], name="version_number_per_function"
            )
        ]
        ordering = ["-number"]

    def __str__(self) -> str:
        return f"{self.function_id} v{self.number}"

    @property
    def is_legacy(self) -> bool:
        return self.interface == Interface.LEGACY


class SavedTest(models.Model):
    """A test case of a function (the format of runner.expectations): run by "Run all
    tests", by `functions-cli test --function` and by the deploy gate.

    `settings` holds plain values only; a secret setting is a name in `secret_settings`,
    a reference to the function's test secret of that name, never a copy of it."""

    function = models.ForeignKey(Function, on_delete=models.CASCADE, related_name="saved_tests")
    name = models.CharField(max_length=200)
    # As written, in either request form: the body exactly as given (rawBody for text).
    request = UserJSONField()
    settings = UserJSONField(default=dict, blank=True)
    secret_settings = UserJSONField(default=list, blank=True)
    expect = UserJSONField()
    created_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["function", "name"], name="saved_test_name_per_function"
            )
        ]
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return f"{self.function_id}: {self.name}"

    def case(self) -> dict:
        """The case in the contract's file format (secret settings left for the runner's
        own --settings: their values never leave the server)."""
        return {"name": self.name, "request": self.request, "settings": self.settings,
                "expect": self.expect}  # fmt: skip


class FunctionSample(models.Model):
    """A sample request of a function with test settings of its own: the editor's
    "Sample payload" menu, run by `functions/<id>/test/` with `sample`. A function made
    from a template keeps the template's samples as these.

    A run of a sample takes the sample's setting values, never the function's test
    values nor another sample's, so a signed sample's secret never reaches an unsigned
    one. Secret values are encrypted like the function's test secrets."""

    function = models.ForeignKey(Function, on_delete=models.CASCADE, related_name="samples")
    name = models.CharField(max_length=200)
    position = models.PositiveSmallIntegerField(default=0)
    # As written, in either request form: the body exactly as given (rawBody for text).
    request = UserJSONField()
    test_values = UserJSONField(default=dict, blank=True, error_key="settings")
    test_secrets = encrypt(models.JSONField(default=dict, blank=True))
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["function", "name"], name="sample_name_per_function")
        ]
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.function_id}: sample {self.name}"

    @property
    def stored_values(self) -> dict:
        """Its setting values, secrets decrypted, for a run."""
        return {**self.test_values, **self.test_secrets}


class Source(models.Model):
    """An instance of a function: a pinned version, setting values and a webhook URL."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="sources")
    function = models.ForeignKey(Function, on_delete=models.CASCADE, related_name="sources")
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=60)
    # RESTRICT: a version a source runs cannot go, unless the whole function goes.
    version = models.ForeignKey(FunctionVersion, on_delete=models.RESTRICT, related_name="sources")
    follow_deployed = models.BooleanField(default=False)
    # A gradual move to another version of the function: rollout_share percent of the
    # webhooks accepted while it runs are run on rollout_version (ingest/rollouts.py).
    rollout_version = models.ForeignKey(
        FunctionVersion, null=True, blank=True, on_delete=models.RESTRICT, related_name="+"
    )
    rollout_share = models.PositiveSmallIntegerField(default=0)
    rollout_started_at = models.DateTimeField(null=True, blank=True)
    # Why the last rollout was rolled back by the watch: the source page's banner, until
    # the next rollout or a dismissal.
    rollback_note = models.CharField(max_length=500, blank=True)
    # The last rollout rolled back (by hand or by the watch) and when: the source page
    # does not offer to upgrade to that version, until the source moves or a new rollout
    # starts.
    rolled_back_version = models.ForeignKey(
        FunctionVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rolled_back_at = models.DateTimeField(null=True, blank=True)
    enabled = models.BooleanField(default=True)
    webhook_token = models.CharField(max_length=64, unique=True)
    setting_values = UserJSONField(default=dict, blank=True, error_key="settings")
    secret_values = encrypt(models.JSONField(default=dict, blank=True))
    created_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "slug"], name="source_slug_per_workspace")
        ]
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return f"{self.workspace_id}/{self.slug}"

    @property
    def webhook_url(self) -> str:
        return f"{django_settings.PUBLIC_URL}/hooks/{self.webhook_token}"

    @property
    def is_behind(self) -> bool:
        """True when the function has a newer deployed version than the one pinned.
        The one statement of the rule: lists count it in Python over prefetched rows."""
        deployed = self.function.deployed_version_id
        return deployed is not None and deployed != self.version_id

    @property
    def offers_upgrade(self) -> bool:
        """Behind, and the deployed version is not the one whose rollout was just rolled
        back here: the page does not invite the move it just undid."""
        return self.is_behind and self.function.deployed_version_id != self.rolled_back_version_id


class AccessToken(models.Model):
    """An API token of one user for one workspace. Only its sha256 is stored."""

    PREFIX = "sfi_"

    user = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="access_tokens"
    )
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="access_tokens")
    name = models.CharField(max_length=100, blank=True, default="")
    # The first characters, to recognise a token in a list without revealing it.
    hint = models.CharField(max_length=12)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.hint}… ({self.user})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class Invite(models.Model):
    """An invitation to join a workspace with a role, answered through a one-time link
    that an owner passes on (there is no mail server). Accepting it makes the membership:
    until then the account sees nothing of the workspace.

    For an account made by the invitation the link also chooses its first password
    (`sets_password`); an existing account accepts with its own password, or while
    logged in. A link never sets the password of an account that has one."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="invites")
    user = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invites"
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.MEMBER)
    all_sources = models.BooleanField(default=True)
    sources = models.ManyToManyField("Source", blank=True, related_name="+")
    sets_password = models.BooleanField(default=False)
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"invite of {self.user} to {self.workspace}"

    def is_usable(self, now=None) -> bool:
        return self.accepted_at is None and (now or timezone.now()) < self.expires_at

    @property
    def chooses_password(self) -> bool:
        """Whether the link sets the account's first password (else it asks for it)."""
        return self.sets_password and not self.user.has_usable_password()


class AuditEntry(models.Model):
    """Who did what when. Details name settings but never hold their values."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="audit_entries")
    actor = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=50)
    target_type = models.CharField(max_length=30)
    target_id = models.CharField(max_length=64)
    details = UserJSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["workspace", "-created_at"], name="audit_by_workspace")]

    def __str__(self) -> str:
        return f"{self.action} {self.target_type}:{self.target_id}"
