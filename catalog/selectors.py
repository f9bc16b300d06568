"""Reads of the catalog, shaped for lists (no N+1 queries)."""

from django.db.models import Count, F, Prefetch, Q, QuerySet

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
from catalog.services.members import hash_secret


def memberships_of_user(user) -> QuerySet[Membership]:
    """The user's memberships with their workspaces, for the workspace switcher."""
    return (
        Membership.objects.filter(user=user)
        .select_related("workspace")
        .order_by("workspace__name", "workspace__slug")
    )


def function_list(workspace: Workspace) -> QuerySet[Function]:
    """Functions with their deployed version, source counts and lagging-source counts."""
    return (
        Function.objects.filter(workspace=workspace)
        .select_related("deployed_version", "created_by", "updated_by")
        .annotate(
            source_count=Count("sources", distinct=True),
            sources_behind=Count(
                "sources",
                filter=Q(deployed_version__isnull=False)
                & ~Q(sources__version=F("deployed_version")),
                distinct=True,
            ),
        )
    )


def version_list(function: Function) -> QuerySet[FunctionVersion]:
    return function.versions.select_related("author").defer("code")


def source_list(workspace: Workspace, *, function: Function | None = None) -> QuerySet[Source]:
    sources = Source.objects.filter(workspace=workspace).select_related(
        "function__deployed_version", "version"
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
    if not policy.can_manage_all_tokens(policy.membership_of(user, workspace)):
        tokens = tokens.filter(user=user)
    return tokens


def audit_list(workspace: Workspace) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(workspace=workspace).select_related("actor")


def invite_for_token(raw: str) -> Invite | None:
    """The usable invite for a raw link token, or None (unknown, used, expired, or its
    user has set a password meanwhile)."""
    invite = (
        Invite.objects.select_related("user", "workspace")
        .filter(token_hash=hash_secret(raw))
        .first()
    )
    if invite is None or not invite.is_usable() or invite.user.has_usable_password():
        return None
    return invite
