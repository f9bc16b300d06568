"""Who may do what in a workspace: the permission matrix of the catalog, in one place.

One Action per rule of the matrix (docs/catalog.md), and next to each its rule and the
one sentence a refusal says. `allows` answers yes or no (pages' `can` flags,
serializers, websockets); `require` raises PermissionDenied (HTTP 403) with the rule's
sentence (services, access helpers). Both take the actor's Membership (None for an
outsider) and, for a rule about one source, that source. Nobody else writes a rule
or a refusal.
"""

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.core.exceptions import PermissionDenied

from catalog.models import Membership, Role, Source, Workspace

_CACHE_ATTR = "_memberships_by_user"


class Action(StrEnum):
    """What a member may be allowed to do; the values are the pages' `can` flags."""

    EDIT_FUNCTIONS = "edit_functions"
    TEST_FUNCTIONS = "test_functions"
    RUN_OWN_CODE = "run_own_code"
    CHANGE_TEST_WEBHOOK = "change_test_webhook"
    CREATE_SOURCES = "create_sources"
    MANAGE_SOURCE = "manage_source"
    READ_SOURCE_LOGS = "read_source_logs"
    REPLAY = "replay"
    MANAGE_MEMBERS = "manage_members"
    MANAGE_ALL_TOKENS = "manage_all_tokens"
    READ_AUDIT = "read_audit"
    SEE_WEBHOOK_URL = "see_webhook_url"
    SEE_CATCHER_URL = "see_catcher_url"
    SEE_CREDENTIALS = "see_credentials"
    MANAGE_DESTINATIONS = "manage_destinations"


def membership_of(user, workspace: Workspace) -> Membership | None:
    """The user's membership of the workspace, cached on the workspace instance."""
    if user is None or not user.is_authenticated:
        return None
    cache = workspace.__dict__.setdefault(_CACHE_ATTR, {})
    if user.pk not in cache:
        cache[user.pk] = Membership.objects.filter(user=user, workspace=workspace).first()
    return cache[user.pk]


def remember_membership(membership: Membership) -> None:
    """Prime the cache when the membership was loaded together with its workspace."""
    membership.workspace.__dict__.setdefault(_CACHE_ATTR, {})[membership.user_id] = membership


def forget_chosen_sources(membership: Membership) -> None:
    """After a change of membership.sources on this instance."""
    membership.__dict__.pop("_chosen_sources", None)


# --- the rules: each takes a member of the target's workspace -------------------------


def _owners(membership: Membership, target: Source | None) -> bool:
    return membership.role == Role.OWNER


def _owners_and_source_admins(membership: Membership, target: Source | None) -> bool:
    return membership.role in (Role.OWNER, Role.SOURCE_ADMIN)


def _every_member(membership: Membership, target: Source | None) -> bool:
    return True


def _who_manages(membership: Membership, source: Source) -> bool:
    """Owners, and source admins of every source or of this one."""
    if membership.role == Role.OWNER:
        return True
    if membership.role != Role.SOURCE_ADMIN:
        return False
    return membership.all_sources or source.pk in _chosen_sources(membership)


def _chosen_sources(membership: Membership) -> set[int]:
    """The ids of a scoped source admin's sources, read once per membership instance
    (a list of sources asks for each)."""
    if "_chosen_sources" not in membership.__dict__:
        membership.__dict__["_chosen_sources"] = set(
            membership.sources.values_list("pk", flat=True)
        )
    return membership.__dict__["_chosen_sources"]


@dataclass(frozen=True)
class Rule:
    check: Callable[[Membership, Any], bool]  # (member, the source or None)
    refusal: str  # what PermissionDenied says
    about_a_source: bool = False  # the rule needs the source as target


# A credential is shown to who may act with it or replace it (docs/security.md): a
# webhook URL (it writes to a source) to who manages the source, a test URL to who runs
# the function, a sender's credential headers (Authorization, signatures) to owners.
# Code of one's own run in the editor would read the function's stored test secrets
# (console.log(settings.x)), so only those who may edit the function run it; the
# scratch Run of a function not created yet reads no stored value (TEST_FUNCTIONS).
RULES: dict[Action, Rule] = {
    Action.EDIT_FUNCTIONS: Rule(_owners, "Only workspace owners may change functions."),
    Action.TEST_FUNCTIONS: Rule(
        _owners_and_source_admins, "Only workspace owners and source admins may run functions."
    ),
    Action.RUN_OWN_CODE: Rule(
        _owners, "Only workspace owners may run code other than the saved draft."
    ),
    Action.CHANGE_TEST_WEBHOOK: Rule(
        _owners_and_source_admins,
        "Only workspace owners and source admins may change a function's test webhook.",
    ),
    Action.CREATE_SOURCES: Rule(
        _owners_and_source_admins, "Only workspace owners and source admins may connect sources."
    ),
    Action.MANAGE_SOURCE: Rule(
        _who_manages, "Your role does not allow managing this source.", about_a_source=True
    ),
    Action.READ_SOURCE_LOGS: Rule(
        _every_member, "Your role does not allow reading this source's logs.", about_a_source=True
    ),
    Action.REPLAY: Rule(
        _who_manages, "Your role does not allow replays of this source.", about_a_source=True
    ),
    Action.MANAGE_MEMBERS: Rule(_owners, "Only workspace owners may manage members."),
    Action.MANAGE_ALL_TOKENS: Rule(
        _owners, "Only workspace owners may see and revoke other members' tokens."
    ),
    Action.READ_AUDIT: Rule(_owners, "Only workspace owners may read the audit log."),
    Action.SEE_WEBHOOK_URL: Rule(
        _who_manages,
        "Only workspace owners and this source's admins may see its webhook URL.",
        about_a_source=True,
    ),
    Action.SEE_CATCHER_URL: Rule(
        _owners_and_source_admins,
        "Only workspace owners and source admins may see a function's test URL.",
    ),
    Action.SEE_CREDENTIALS: Rule(_owners, "Only workspace owners may see credential headers."),
    Action.MANAGE_DESTINATIONS: Rule(
        _owners, "Only workspace owners may change destinations or replay their deliveries."
    ),
}


def allows(membership: Membership | None, action: Action, target: Source | None = None) -> bool:
    """Whether the member may do `action` (on `target`, a source of their workspace)."""
    rule = RULES[action]
    if rule.about_a_source != (target is not None):
        wants = "needs the source as target" if rule.about_a_source else "takes no target"
        raise TypeError(f"Action.{action.name} {wants}.")
    if membership is None:
        return False
    if target is not None and target.workspace_id != membership.workspace_id:
        return False
    return rule.check(membership, target)


def require(membership: Membership | None, action: Action, target: Source | None = None) -> None:
    """Raise PermissionDenied with the rule's refusal unless the member may."""
    if not allows(membership, action, target):
        raise PermissionDenied(RULES[action].refusal)


def workspace_flags(membership: Membership | None) -> dict[str, bool]:
    """What the member may do workspace-wide, by Action value (the pages' `can`)."""
    return {
        action.value: allows(membership, action)
        for action, rule in RULES.items()
        if not rule.about_a_source
    }
