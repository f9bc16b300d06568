"""One access helper per resource: fetch it for a user or fail the way the API should.

A resource of another workspace, or any resource for an outsider, is Http404; a member
of the workspace whose role does not allow the action gets PermissionDenied (403).
DRF turns both into JSON; Django pages into the usual 404/403 pages.
"""

from django.http import Http404

from catalog import policy, selectors
from catalog.models import (
    AccessToken,
    Function,
    FunctionVersion,
    Invite,
    Membership,
    Source,
    Workspace,
)


def workspace_for_user(user, ws_slug: str, *, token: AccessToken | None = None) -> Workspace:
    """The workspace if the user belongs to it (and, for a token, it is the token's)."""
    if user is None or not user.is_authenticated:
        raise Http404("No such workspace.")
    if token is not None and token.workspace.slug != ws_slug:
        raise Http404("No such workspace.")
    membership = (
        Membership.objects.select_related("workspace")
        .filter(user=user, workspace__slug=ws_slug)
        .first()
    )
    if membership is None:
        raise Http404("No such workspace.")
    policy.remember_membership(membership)
    return membership.workspace


def workspace_for_request(request, ws_slug: str) -> Workspace:
    """workspace_for_user for an API request, honouring a Bearer token's workspace."""
    token = request.auth if isinstance(request.auth, AccessToken) else None
    return workspace_for_user(request.user, ws_slug, token=token)


def function_for_user(user, workspace: Workspace, function_id, write: bool = False) -> Function:
    """A function of the workspace; write=True for create/edit/deploy/delete/restore."""
    membership = _member(user, workspace)
    function = (
        Function.objects.select_related("deployed_version", "created_by", "updated_by")
        .filter(workspace=workspace, pk=_int_or_404(function_id))
        .first()
    )
    if function is None:
        raise Http404("No such function in this workspace.")
    function.workspace = workspace  # the instance that caches the user's membership
    if write:
        policy.ensure(
            policy.can_edit_functions(membership), "Only workspace owners may change functions."
        )
    return function


def function_to_test(user, workspace: Workspace, function_id) -> Function:
    """A function the user may run in the editor."""
    function = function_for_user(user, workspace, function_id)
    policy.ensure(
        policy.can_test_functions(_member(user, workspace)),
        "Only workspace owners and source admins may run functions.",
    )
    return function


def version_for_user(user, function: Function, number) -> FunctionVersion:
    """A version of a function the user already may read."""
    version = (
        FunctionVersion.objects.select_related("author")
        .filter(function=function, number=_int_or_404(number))
        .first()
    )
    if version is None:
        raise Http404(f"Version {number} of this function does not exist.")
    return version


def source_for_user(user, workspace: Workspace, slug: str, write: bool = False) -> Source:
    """A source of the workspace; write=True to configure, upgrade or delete it."""
    membership = _member(user, workspace)
    source = (
        Source.objects.select_related("function__deployed_version", "version")
        .filter(workspace=workspace, slug=slug)
        .first()
    )
    if source is None:
        raise Http404("No such source in this workspace.")
    source.workspace = workspace
    if write:
        policy.ensure(
            policy.can_manage_source(membership, source),
            "Your role does not allow managing this source.",
        )
    return source


def membership_for_user(user, workspace: Workspace, membership_id) -> Membership:
    """A membership of the workspace, for an owner to change or remove."""
    policy.ensure(
        policy.can_manage_members(_member(user, workspace)),
        "Only workspace owners may manage members.",
    )
    target = (
        Membership.objects.select_related("user")
        .filter(workspace=workspace, pk=_int_or_404(membership_id))
        .first()
    )
    if target is None:
        raise Http404("No such member in this workspace.")
    target.workspace = workspace
    return target


def token_for_user(user, workspace: Workspace, token_id) -> AccessToken:
    """A token the user may revoke: their own, or any of the workspace for an owner."""
    tokens = AccessToken.objects.filter(workspace=workspace, pk=_int_or_404(token_id))
    if not policy.can_manage_all_tokens(_member(user, workspace)):
        tokens = tokens.filter(user=user)
    token = tokens.first()
    if token is None:
        raise Http404("No such token.")
    token.workspace = workspace
    return token


def invitation_for_user(user, invitation_id, *, token: AccessToken | None = None) -> Invite:
    """An invitation waiting for the user's answer. A Bearer token sees none: it is
    limited to its workspace, of which the user is a member already."""
    invite = None
    if token is None and user is not None and user.is_authenticated:
        invite = selectors.invitations_of_user(user).filter(pk=_int_or_404(invitation_id)).first()
    if invite is None:
        raise Http404("No such invitation for your account.")
    return invite


def invitation_by_link(user, raw: str, *, token: AccessToken | None = None) -> Invite:
    """The usable invitation of an invite link's token, if it is for this user."""
    invite = selectors.invite_for_token(raw) if token is None else None
    if invite is None or user is None or invite.user_id != user.pk:
        raise Http404("No such invitation for your account.")
    return invite


def workspace_invitation(user, workspace: Workspace, invitation_id) -> Invite:
    """A pending invitation of the workspace, for an owner to withdraw."""
    policy.ensure(
        policy.can_manage_members(_member(user, workspace)),
        "Only workspace owners may manage members.",
    )
    invite = selectors.invitation_list(workspace).filter(pk=_int_or_404(invitation_id)).first()
    if invite is None:
        raise Http404("No such invitation in this workspace.")
    return invite


def ensure_member_role(user, workspace: Workspace, rule, message: str) -> Membership:
    """Check a workspace-wide rule of catalog.policy for the user; return the membership."""
    membership = _member(user, workspace)
    policy.ensure(rule(membership), message)
    return membership


# --- for other apps (ingest, pages, websockets) ---------------------------------------


def can_read_source_logs(user, source: Source) -> bool:
    return policy.can_read_source_logs(policy.membership_of(user, source.workspace), source)


def can_replay(user, source: Source) -> bool:
    return policy.can_replay(policy.membership_of(user, source.workspace), source)


def can_manage_source(user, source: Source) -> bool:
    return policy.can_manage_source(policy.membership_of(user, source.workspace), source)


def can_see_credentials(user, workspace: Workspace) -> bool:
    return policy.can_see_credentials(policy.membership_of(user, workspace))


def _member(user, workspace: Workspace) -> Membership:
    membership = policy.membership_of(user, workspace)
    if membership is None:
        raise Http404("No such workspace.")
    return membership


def _int_or_404(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404("Not found.") from None
