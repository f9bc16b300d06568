"""Workspaces, members, access tokens and the audit log."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from catalog import access, policy, selectors, services
from catalog.api.base import CatalogView, WorkspaceView
from catalog.api.functions import ERROR
from catalog.models import AccessToken, Role, Source
from catalog.policy import Action
from catalog.serializers import (
    AuditOutput,
    InvitationOutput,
    MemberOutput,
    MyInvitationOutput,
    TokenOutput,
    WorkspaceOutput,
)


class WorkspaceListView(CatalogView):
    @extend_schema(summary="The workspaces you belong to", responses=WorkspaceOutput(many=True))
    def get(self, request):
        memberships = selectors.memberships_of_user(request.user)
        if isinstance(request.auth, AccessToken):
            memberships = memberships.filter(workspace=request.auth.workspace)
        return self.paginated(memberships, WorkspaceOutput)


class WorkspaceDetailView(WorkspaceView):
    @extend_schema(summary="A workspace and your role in it", responses=WorkspaceOutput)
    def get(self, request, ws):
        membership = policy.membership_of(request.user, self.workspace)
        return Response(WorkspaceOutput(membership).data)


def _sources(workspace, slugs) -> list[Source] | None:
    if slugs is None:
        return None
    found = list(Source.objects.filter(workspace=workspace, slug__in=slugs))
    missing = sorted(set(slugs) - {s.slug for s in found})
    if missing:
        noun = "source" if len(missing) == 1 else "sources"
        raise ValidationError({"sources": f"No such {noun}: {', '.join(missing)}."})
    return found


class MemberInvitedOutput(InvitationOutput):
    invite_url = serializers.CharField(
        help_text="Shown once: pass it on. Opening it joins the workspace: a new account "
        "chooses its password there, an existing one logs in with its own."
    )

    class Meta(InvitationOutput.Meta):
        fields = [*InvitationOutput.Meta.fields, "invite_url"]


class MemberListView(WorkspaceView):
    class MemberAddInput(serializers.Serializer):
        email = serializers.CharField()
        role = serializers.ChoiceField(choices=Role.choices)
        all_sources = serializers.BooleanField(
            required=False, default=True, help_text="Source admins: manage every source."
        )
        sources = serializers.ListField(
            child=serializers.SlugField(), required=False, help_text="Source admins: these."
        )

    @extend_schema(summary="List members", responses=MemberOutput(many=True))
    def get(self, request, ws):
        return self.paginated(selectors.member_list(self.workspace), MemberOutput)

    @extend_schema(
        summary="Invite someone by email with a role: they are a member once they accept "
        "through the invite link (shown once)",
        request=MemberAddInput,
        responses={201: MemberInvitedOutput, 400: ERROR, 403: ERROR},
    )
    def post(self, request, ws):
        access.member_may(request.user, self.workspace, Action.MANAGE_MEMBERS)
        data = self.valid(self.MemberAddInput)
        data["sources"] = _sources(self.workspace, data.get("sources"))
        invited = services.member_invite(workspace=self.workspace, actor=request.user, **data)
        invite = invited.invite
        invite.invite_url = invited.invite_url
        return self.created(MemberInvitedOutput(invite).data)


class MemberDetailView(WorkspaceView):
    class MemberUpdateInput(serializers.Serializer):
        role = serializers.ChoiceField(choices=Role.choices, required=False)
        all_sources = serializers.BooleanField(required=False)
        sources = serializers.ListField(child=serializers.SlugField(), required=False)

    @extend_schema(
        summary="Change a member's role or sources",
        request=MemberUpdateInput,
        responses={200: MemberOutput, 400: ERROR, 403: ERROR},
    )
    def patch(self, request, ws, member_id):
        membership = access.membership_for_user(request.user, self.workspace, member_id)
        data = self.valid(self.MemberUpdateInput, partial=True)
        data["sources"] = _sources(self.workspace, data.get("sources"))
        services.member_update(membership=membership, actor=request.user, **data)
        return Response(MemberOutput(membership).data)

    @extend_schema(summary="Remove a member (and revoke their tokens)", responses={204: None})
    def delete(self, request, ws, member_id):
        membership = access.membership_for_user(request.user, self.workspace, member_id)
        services.member_remove(membership=membership, actor=request.user)
        return Response(status=204)


class InviteOutput(serializers.Serializer):
    invite_url = serializers.CharField(help_text="Shown once: pass it on to the member.")


class MemberInviteView(WorkspaceView):
    @extend_schema(
        summary="A new invite link for a member who has not set a password yet",
        request=None,
        responses={201: InviteOutput, 400: ERROR, 403: ERROR},
    )
    def post(self, request, ws, member_id):
        membership = access.membership_for_user(request.user, self.workspace, member_id)
        url = services.member_reinvite(membership=membership, actor=request.user)
        return self.created({"invite_url": url})


class WorkspaceInvitationListView(WorkspaceView):
    @extend_schema(
        summary="Invitations not answered yet (owners)", responses=InvitationOutput(many=True)
    )
    def get(self, request, ws):
        access.member_may(request.user, self.workspace, Action.MANAGE_MEMBERS)
        return self.paginated(selectors.invitation_list(self.workspace), InvitationOutput)


class WorkspaceInvitationDetailView(WorkspaceView):
    @extend_schema(
        summary="Withdraw an invitation (its link stops working)",
        responses={204: None, 403: ERROR, 404: ERROR},
    )
    def delete(self, request, ws, invitation_id):
        invite = access.workspace_invitation(request.user, self.workspace, invitation_id)
        services.invitation_withdraw(invite=invite, actor=request.user)
        return Response(status=204)


# --- your own invitations (not under a workspace: you are not a member yet) ------------


def _bearer(request) -> AccessToken | None:
    return request.auth if isinstance(request.auth, AccessToken) else None


class MyInvitationListView(CatalogView):
    @extend_schema(
        summary="Invitations waiting for your answer (none with an API token)",
        responses=MyInvitationOutput(many=True),
    )
    def get(self, request):
        invites = selectors.invitations_of_user(request.user)
        if _bearer(request) is not None:
            invites = invites.none()
        return self.paginated(invites, MyInvitationOutput)


class InvitationAcceptView(CatalogView):
    class AcceptInput(serializers.Serializer):
        link = serializers.CharField(
            help_text="The invite link you were given, or the token at its end."
        )

    @extend_schema(
        summary="Accept an invitation with its link, as the invited account (logged in)",
        request=AcceptInput,
        responses={200: WorkspaceOutput, 400: ERROR, 404: ERROR},
    )
    def post(self, request):
        serializer = self.AcceptInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        raw = serializer.validated_data["link"].rstrip("/").rsplit("/", 1)[-1]
        invite = access.invitation_by_link(request.user, raw, token=_bearer(request))
        membership = services.invitation_accept(invite=invite, user=request.user)
        return Response(WorkspaceOutput(membership).data)


class MyInvitationDetailView(CatalogView):
    @extend_schema(summary="Decline an invitation", responses={204: None, 404: ERROR})
    def delete(self, request, invitation_id):
        invite = access.invitation_for_user(request.user, invitation_id, token=_bearer(request))
        services.invitation_decline(invite=invite, user=request.user)
        return Response(status=204)


class TokenCreatedOutput(TokenOutput):
    token = serializers.CharField(help_text="Shown once; only its hash is kept.")

    class Meta(TokenOutput.Meta):
        fields = [*TokenOutput.Meta.fields, "token"]


class TokenListView(WorkspaceView):
    class TokenCreateInput(serializers.Serializer):
        name = serializers.CharField(max_length=100, required=False, allow_blank=True)

    @extend_schema(
        summary="Your tokens (an owner sees every token)", responses=TokenOutput(many=True)
    )
    def get(self, request, ws):
        return self.paginated(selectors.token_list(self.workspace, request.user), TokenOutput)

    @extend_schema(
        summary="Create a token for yourself (shown once)",
        request=TokenCreateInput,
        responses={201: TokenCreatedOutput},
    )
    def post(self, request, ws):
        data = self.valid(self.TokenCreateInput)
        token, raw = services.token_create(
            workspace=self.workspace, user=request.user, name=data.get("name", "")
        )
        token.token = raw
        return self.created(TokenCreatedOutput(token).data)


class TokenDetailView(WorkspaceView):
    @extend_schema(summary="Revoke a token", request=None, responses={204: None, 404: ERROR})
    def delete(self, request, ws, token_id):
        token = access.token_for_user(request.user, self.workspace, token_id)
        services.token_revoke(token=token, actor=request.user)
        return Response(status=204)


class AuditListView(WorkspaceView):
    @extend_schema(summary="The audit log, newest first", responses=AuditOutput(many=True))
    def get(self, request, ws):
        access.member_may(request.user, self.workspace, Action.READ_AUDIT)
        return self.paginated(selectors.audit_list(self.workspace), AuditOutput)
