"""Who may do what in a workspace: the permission matrix of the catalog, in one place.

Every rule takes the actor's Membership (None for an outsider) and answers a yes/no
question. Services, the API, pages and websockets all ask these; nobody filters for
permissions by hand. The matrix is documented in docs/catalog.md.
"""

from django.core.exceptions import PermissionDenied

from catalog.models import Membership, Role, Source, Workspace

_CACHE_ATTR = "_memberships_by_user"


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


def is_owner(membership: Membership | None) -> bool:
    return membership is not None and membership.role == Role.OWNER


def can_read_workspace(membership: Membership | None) -> bool:
    return membership is not None


def can_edit_functions(membership: Membership | None) -> bool:
    """Create, save, deploy, delete a function; restore a version."""
    return is_owner(membership)


def can_test_functions(membership: Membership | None) -> bool:
    """Run a function in the editor and keep its test setting values."""
    return membership is not None and membership.role in (Role.OWNER, Role.SOURCE_ADMIN)


def can_create_sources(membership: Membership | None) -> bool:
    return membership is not None and membership.role in (Role.OWNER, Role.SOURCE_ADMIN)


def can_manage_source(membership: Membership | None, source: Source) -> bool:
    """Configure, enable/disable, upgrade, rotate the token of, delete a source."""
    if membership is None or membership.workspace_id != source.workspace_id:
        return False
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


def forget_chosen_sources(membership: Membership) -> None:
    """After a change of membership.sources on this instance."""
    membership.__dict__.pop("_chosen_sources", None)


def can_read_source_logs(membership: Membership | None, source: Source) -> bool:
    """See a source's executions, events and dead letters (every role reads)."""
    return membership is not None and membership.workspace_id == source.workspace_id


def can_replay(membership: Membership | None, source: Source) -> bool:
    """Replay ingest events or dead letters of a source."""
    return can_manage_source(membership, source)


def can_manage_members(membership: Membership | None) -> bool:
    return is_owner(membership)


def can_manage_all_tokens(membership: Membership | None) -> bool:
    """Owners see and revoke every token of the workspace; others only their own."""
    return is_owner(membership)


def can_read_audit(membership: Membership | None) -> bool:
    return is_owner(membership)


# --- credentials: who sees them (docs/security.md) --------------------------------------
# A credential is shown to who may act with it or replace it: a webhook URL (it writes
# to a source) to who manages the source, a test URL to who runs the function, and a
# sender's credential headers (Authorization, signatures) to owners only.


def can_see_webhook_url(membership: Membership | None, source: Source) -> bool:
    return can_manage_source(membership, source)


def can_see_catcher_url(membership: Membership | None) -> bool:
    return can_test_functions(membership)


def can_see_credentials(membership: Membership | None) -> bool:
    """Credential headers of captured and failed webhooks, unmasked."""
    return is_owner(membership)


def ensure(allowed: bool, message: str = "Your role does not allow this.") -> None:
    """Raise PermissionDenied (HTTP 403) unless allowed."""
    if not allowed:
        raise PermissionDenied(message)
