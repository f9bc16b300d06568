"""One access helper per resource: fetch it for a user or fail the way the API should.

A resource of another workspace, or any resource for an outsider, is Http404: these
helpers decide what a user may read. A write they check is the rule of catalog.policy
(`policy.require` with the same Action the service requires), so a member whose role
does not allow it gets PermissionDenied (403) before the request is validated. DRF
turns both into JSON; Django pages into the usual 404/403 pages.
"""

from django.http import Http404

from catalog import policy, selectors
from catalog.models import (
    AccessToken,
    Function,
    FunctionSample,
    FunctionVersion,
    Invite,
    Membership,
    SavedTest,
    Source,
    Workspace,
)
from catalog.policy import Action


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
        policy.require(membership, Action.EDIT_FUNCTIONS)
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


def saved_test_for_user(user, function: Function, test_id, write: bool = False) -> SavedTest:
    """A saved test of a function the user already may read; write=True to change it."""
    test = SavedTest.objects.filter(function=function, pk=_int_or_404(test_id)).first()
    if test is None:
        raise Http404("No such saved test of this function.")
    test.function = function
    if write:
        policy.require(_member(user, function.workspace), Action.EDIT_FUNCTIONS)
    return test


def sample_for_user(user, function: Function, sample_id) -> FunctionSample:
    """A sample of a function the user already may read (its services check changes)."""
    sample = FunctionSample.objects.filter(function=function, pk=_int_or_404(sample_id)).first()
    if sample is None:
        raise Http404("No such sample of this function.")
    sample.function = function
    return sample


def source_for_user(user, workspace: Workspace, slug: str, write: bool = False) -> Source:
    """A source of the workspace; write=True to configure, upgrade or delete it."""
    membership = _member(user, workspace)
    source = (
        Source.objects.select_related(
            "function__deployed_version", "version", "rollout_version", "rolled_back_version"
        )
        .filter(workspace=workspace, slug=slug)
        .first()
    )
    if source is None:
        raise Http404("No such source in this workspace.")
    source.workspace = workspace
    if write:
        policy.require(membership, Action.MANAGE_SOURCE, source)
    return source


def source_logs_for_user(user, workspace: Workspace, slug: str) -> Source:
    """A source whose executions, events, objects and dead letters the user may read."""
    source = source_for_user(user, workspace, slug)
    policy.require(policy.membership_of(user, workspace), Action.READ_SOURCE_LOGS, source)
    return source


def membership_for_user(user, workspace: Workspace, membership_id) -> Membership:
    """A membership of the workspace, for an owner to change or remove."""
    policy.require(_member(user, workspace), Action.MANAGE_MEMBERS)
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
    if not policy.allows(_member(user, workspace), Action.MANAGE_ALL_TOKENS):
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
    policy.require(_member(user, workspace), Action.MANAGE_MEMBERS)
    invite = selectors.invitation_list(workspace).filter(pk=_int_or_404(invitation_id)).first()
    if invite is None:
        raise Http404("No such invitation in this workspace.")
    return invite


def member_may(user, workspace: Workspace, action: Action) -> Membership:
    """The user's membership if its role allows a workspace-wide action (403 if not)."""
    membership = _member(user, workspace)
    policy.require(membership, action)
    return membership


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
