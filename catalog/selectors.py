"""Reads of the catalog, shaped for lists (no N+1 queries)."""

from django.db.models import Count, Prefetch, QuerySet
from django.utils import timezone

from catalog import policy
from catalog.models import (
    AccessToken,
    AuditEntry,
    Function,
    FunctionVersion,
    Invite,
    Membership,
    Source,
    Workspace,
)
from catalog.policy import Action
from catalog.services.members import hash_secret


def memberships_of_user(user) -> QuerySet[Membership]:
    """The user's memberships with their workspaces, for the workspace switcher."""
    return (
        Membership.objects.filter(user=user)
        .select_related("workspace", "user")
        .order_by("workspace__name", "workspace__slug")
    )


def function_list(workspace: Workspace) -> QuerySet[Function]:
    """Functions with their deployed version, source count and the pins of their sources
    (for Function.sources_behind)."""
    pins = Source.objects.only("id", "function_id", "version_id")
    return (
        Function.objects.filter(workspace=workspace)
        .select_related("deployed_version", "created_by", "updated_by")
        .annotate(source_count=Count("sources"))
        .prefetch_related(Prefetch("sources", queryset=pins))
    )


def version_list(function: Function) -> QuerySet[FunctionVersion]:
    return function.versions.select_related("author").defer("code")


def source_list(workspace: Workspace, *, function: Function | None = None) -> QuerySet[Source]:
    sources = Source.objects.filter(workspace=workspace).select_related(
        "function__deployed_version", "version", "rollout_version"
    )
    return sources.filter(function=function) if function is not None else sources


def member_list(workspace: Workspace) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(workspace=workspace)
        .select_related("user")
        .prefetch_related(Prefetch("sources", queryset=Source.objects.only("id", "slug")))
        .order_by("user__username")
    )


def token_list(workspace: Workspace, user) -> QuerySet[AccessToken]:
    """The user's tokens; an owner sees every token of the workspace."""
    tokens = AccessToken.objects.filter(workspace=workspace).select_related("user")
    if not policy.allows(policy.membership_of(user, workspace), Action.MANAGE_ALL_TOKENS):
        tokens = tokens.filter(user=user)
    return tokens


def audit_list(workspace: Workspace) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(workspace=workspace).select_related("actor")


def invite_for_token(raw: str) -> Invite | None:
    """The usable invite for a raw link token, or None (unknown, used, expired)."""
    invite = (
        Invite.objects.select_related("user", "workspace", "created_by")
        .filter(token_hash=hash_secret(raw))
        .first()
    )
    if invite is None or not invite.is_usable():
        return None
    return invite


def _pending(invites: QuerySet[Invite]) -> QuerySet[Invite]:
    return (
        invites.filter(accepted_at=None, expires_at__gt=timezone.now())
        .select_related("user", "workspace", "created_by")
        .prefetch_related(Prefetch("sources", queryset=Source.objects.only("id", "slug")))
    )


def invitations_of_user(user) -> QuerySet[Invite]:
    """The invitations waiting for the user's answer, newest first (a link to set the
    password of a member is not one: they are in already)."""
    invites = Invite.objects.filter(user=user).exclude(workspace__memberships__user=user)
    return _pending(invites)


def invitation_list(workspace: Workspace) -> QuerySet[Invite]:
    """The workspace's invitations not answered yet, for its owners."""
    invites = Invite.objects.filter(workspace=workspace).exclude(
        user__memberships__workspace=workspace
    )
    return _pending(invites)
