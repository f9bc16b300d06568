"""Workspaces, members and their roles, invites and API access tokens."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from catalog import policy
from catalog.models import AccessToken, Invite, Membership, Role, Source, Workspace
from catalog.policy import Action
from catalog.services.audit import audit_record

TOKEN_TOUCH_INTERVAL = timedelta(minutes=1)


def hash_secret(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def user_get_or_create(*, email: str, password: str | None = None):
    """The user with this email (their username), created when new.

    A new user without a password gets an unusable one: they set it through an invite.
    """
    email = _clean_email(email)
    User = get_user_model()
    user = User.objects.filter(username__iexact=email).first()
    if user is not None:
        return user, False
    user = User(username=email, email=email)
    if password:
        password_validation.validate_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    return user, True


@transaction.atomic
def workspace_create(*, slug: str, owner, name: str = "") -> Workspace:
    """A new workspace with its first owner."""
    if slugify(slug) != slug:
        raise ValidationError({"slug": "Use lowercase letters, digits and hyphens only."})
    if Workspace.objects.filter(slug=slug).exists():
        raise ValidationError({"slug": f"A workspace {slug!r} already exists."})
    workspace = Workspace.objects.create(slug=slug, name=name or slug)
    membership = Membership.objects.create(user=owner, workspace=workspace, role=Role.OWNER)
    audit_record(
        workspace=workspace,
        actor=owner,
        action="member.add",
        target=membership,
        details={"email": owner.email, "role": Role.OWNER},
    )
    return workspace


@dataclass
class MemberAdded:
    membership: Membership
    # Shown once to the owner to pass on; None when the user already had a password.
    invite_url: str | None


@dataclass
class MemberInvited:
    invite: Invite
    # Shown once to the owner to pass on; only its hash is kept.
    invite_url: str


@transaction.atomic
def member_invite(
    *,
    workspace: Workspace,
    actor,
    email: str,
    role: str,
    all_sources: bool = True,
    sources: list[Source] | None = None,
) -> MemberInvited:
    """Invite someone by email with a role: how owners add members.

    Nothing is granted until the invitation is accepted, so adding the email of an
    account that someone else set up gives them nothing (issue 18.1). A new account
    chooses its first password through the link; an existing one accepts with its own
    password, or while logged in. The answer is the same whether the email has an
    account or not: an owner cannot tell which.
    """
    _ensure_owner(actor, workspace)
    _check_role(role)
    user, _ = user_get_or_create(email=email)
    if Membership.objects.filter(user=user, workspace=workspace).exists():
        raise ValidationError({"email": f"{user.email} is already a member of this workspace."})
    # A new invitation replaces an earlier one of this workspace: its link stops working.
    Invite.objects.filter(user=user, workspace=workspace, accepted_at=None).delete()
    invite, url = _new_invite(
        workspace=workspace,
        user=user,
        actor=actor,
        role=role,
        all_sources=all_sources,
        sources=sources,
        sets_password=_may_choose_password(user),
    )
    audit_record(
        workspace=workspace,
        actor=actor,
        action="member.invite",
        target=invite,
        details={"email": user.email, "role": role},
    )
    return MemberInvited(invite=invite, invite_url=url)


def _may_choose_password(user) -> bool:
    """Whether a new invitation's link may choose the account's first password: only
    for an account without one, and only while no other link may (the first keeps that
    right until it is used, withdrawn or expires)."""
    if user.has_usable_password():
        return False
    others = Invite.objects.filter(
        user=user, sets_password=True, accepted_at=None, expires_at__gt=timezone.now()
    )
    return not others.exists()


@transaction.atomic
def member_add(
    *,
    workspace: Workspace,
    actor,
    email: str,
    role: str,
    all_sources: bool = True,
    sources: list[Source] | None = None,
    password: str | None = None,
) -> MemberAdded:
    """Add a user by email with a role at once; a new user without a password gets a
    link to set one. For operators (`manage.py addmember`), who vouch for the account:
    the API invites instead (member_invite)."""
    _ensure_owner(actor, workspace)
    _check_role(role)
    user, created = user_get_or_create(email=email, password=password)
    if Membership.objects.filter(user=user, workspace=workspace).exists():
        raise ValidationError({"email": f"{user.email} is already a member of this workspace."})
    membership = Membership.objects.create(
        user=user, workspace=workspace, role=role, all_sources=all_sources
    )
    if sources:
        membership.sources.set(sources)
    invite_url = None
    if may_invite(user, workspace):
        invite_url = invite_create(workspace=workspace, user=user, actor=actor)
    audit_record(
        workspace=workspace,
        actor=actor,
        action="member.add",
        target=membership,
        details={"email": user.email, "role": role, "new_user": created},
    )
    return MemberAdded(membership=membership, invite_url=invite_url)


@transaction.atomic
def member_update(
    *,
    membership: Membership,
    actor,
    role: str | None = None,
    all_sources: bool | None = None,
    sources: list[Source] | None = None,
) -> Membership:
    """Change a member's role or, for a source admin, which sources they manage."""
    _ensure_owner(actor, membership.workspace)
    fields = []
    if role is not None and role != membership.role:
        _check_role(role)
        if membership.role == Role.OWNER:
            _keep_an_owner(membership)
        membership.role = role
        fields.append("role")
    if all_sources is not None:
        membership.all_sources = all_sources
        fields.append("all_sources")
    if fields:
        membership.save(update_fields=fields)
    if sources is not None:
        membership.sources.set(sources)
        policy.forget_chosen_sources(membership)
    audit_record(
        workspace=membership.workspace,
        actor=actor,
        action="member.update",
        target=membership,
        details={
            "email": membership.user.email,
            "role": membership.role,
            "all_sources": membership.all_sources,
            "sources": [s.slug for s in sources] if sources is not None else None,
        },
    )
    return membership


@transaction.atomic
def member_remove(*, membership: Membership, actor) -> None:
    _ensure_owner(actor, membership.workspace)
    if membership.role == Role.OWNER:
        _keep_an_owner(membership)
    audit_record(
        workspace=membership.workspace,
        actor=actor,
        action="member.remove",
        target=membership,
        details={"email": membership.user.email, "role": membership.role},
    )
    AccessToken.objects.filter(
        user=membership.user, workspace=membership.workspace, revoked_at=None
    ).update(revoked_at=timezone.now())
    # An unused link of theirs must not bring them back.
    Invite.objects.filter(
        user=membership.user, workspace=membership.workspace, accepted_at=None
    ).delete()
    membership.delete()


@transaction.atomic
def member_reinvite(*, membership: Membership, actor) -> str:
    """A new invite link for a member who has not set a password yet (older links die)."""
    _ensure_owner(actor, membership.workspace)
    if membership.user.has_usable_password():
        raise ValidationError({"email": f"{membership.user.email} has already set a password."})
    if not may_invite(membership.user, membership.workspace):
        raise ValidationError(
            {"email": f"{membership.user.email} was invited by another workspace first; "
             "they set their password with that workspace's invite link."}
        )  # fmt: skip
    Invite.objects.filter(
        user=membership.user, workspace=membership.workspace, accepted_at=None
    ).delete()
    audit_record(
        workspace=membership.workspace,
        actor=actor,
        action="member.reinvite",
        target=membership,
        details={"email": membership.user.email},
    )
    return invite_create(workspace=membership.workspace, user=membership.user, actor=actor)


def may_invite(user, workspace: Workspace) -> bool:
    """Whether this workspace may hand out a link that sets the user's password.

    Only while the user has none, and only the workspace that added them first: an
    owner of another workspace adding the same email must not be able to choose the
    password of someone who belongs to a workspace they do not own."""
    if user.has_usable_password():
        return False
    first = Membership.objects.filter(user=user).order_by("created_at", "pk").first()
    return first is not None and first.workspace_id == workspace.pk


def invite_create(*, workspace: Workspace, user, actor) -> str:
    """A one-time, expiring link for a member of the workspace to set a first password.
    Only its hash is stored."""
    membership = Membership.objects.filter(user=user, workspace=workspace).first()
    role = membership.role if membership else Role.MEMBER
    _, url = _new_invite(workspace=workspace, user=user, actor=actor, role=role, sets_password=True)
    return url


def _new_invite(
    *,
    workspace: Workspace,
    user,
    actor,
    role: str,
    sets_password: bool,
    all_sources: bool = True,
    sources: list[Source] | None = None,
) -> tuple[Invite, str]:
    raw = secrets.token_urlsafe(32)
    invite = Invite.objects.create(
        workspace=workspace,
        user=user,
        role=role,
        all_sources=all_sources,
        sets_password=sets_password,
        token_hash=hash_secret(raw),
        created_by=actor if actor is not None and actor.is_authenticated else None,
        expires_at=timezone.now() + timedelta(hours=settings.INVITE_EXPIRY_HOURS),
    )
    if sources:
        invite.sources.set(sources)
    return invite, f"{settings.PUBLIC_URL}/invite/{raw}/"


@transaction.atomic
def invite_accept(*, invite: Invite, password: str):
    """Choose the first password of the account an invitation made, and accept it.

    An account that has a password is refused: a link never sets one again."""
    user = invite.user
    if not invite.chooses_password:
        raise ValidationError(
            {"password": "This account already has a password: log in with it to accept."}
        )
    password_validation.validate_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    _join(invite)
    return user


@transaction.atomic
def invitation_accept(*, invite: Invite, user) -> Membership:
    """The account holder accepts, logged in (or having just given the account's
    password on the invite page). Only the invited account may."""
    if invite.user_id != user.pk or not invite.is_usable():
        raise ValidationError({"token": "This invitation is not for your account."})
    return _join(invite)


def _join(invite: Invite) -> Membership:
    """The membership an accepted invitation grants (kept as it is if one was made
    meanwhile, e.g. by an operator)."""
    invite.accepted_at = timezone.now()
    invite.save(update_fields=["accepted_at"])
    Invite.objects.filter(user=invite.user, workspace=invite.workspace, accepted_at=None).delete()
    membership, created = Membership.objects.get_or_create(
        user=invite.user,
        workspace=invite.workspace,
        defaults={"role": invite.role, "all_sources": invite.all_sources},
    )
    if created:
        membership.sources.set(invite.sources.all())
        audit_record(
            workspace=invite.workspace,
            actor=invite.user,
            action="member.add",
            target=membership,
            details={
                "email": invite.user.email,
                "role": membership.role,
                "invited_by": invite.created_by.email if invite.created_by else None,
            },
        )
    return membership


def invitation_decline(*, invite: Invite, user) -> None:
    """The invited account says no: the invitation and its link are gone."""
    if invite.user_id != user.pk:
        raise ValidationError({"invitation": "This invitation is not for your account."})
    audit_record(
        workspace=invite.workspace,
        actor=user,
        action="member.decline",
        target=invite,
        details={"email": invite.user.email, "role": invite.role},
    )
    invite.delete()


def invitation_withdraw(*, invite: Invite, actor) -> None:
    """An owner takes back a pending invitation: its link stops working."""
    _ensure_owner(actor, invite.workspace)
    audit_record(
        workspace=invite.workspace,
        actor=actor,
        action="member.uninvite",
        target=invite,
        details={"email": invite.user.email, "role": invite.role},
    )
    invite.delete()


# --- access tokens ---------------------------------------------------------------------


@transaction.atomic
def token_create(*, workspace: Workspace, user, name: str = "") -> tuple[AccessToken, str]:
    """A new API token of the user for the workspace: (the row, the token shown once)."""
    if policy.membership_of(user, workspace) is None:
        raise ValidationError({"user": "Only members of the workspace may have its tokens."})
    raw = AccessToken.PREFIX + secrets.token_urlsafe(32)
    token = AccessToken.objects.create(
        user=user,
        workspace=workspace,
        name=name,
        hint=raw[:8],
        token_hash=hash_secret(raw),
    )
    audit_record(
        workspace=workspace, actor=user, action="token.create", target=token, details={"name": name}
    )
    return token, raw


def token_revoke(*, token: AccessToken, actor) -> AccessToken:
    """Revoke a token: one's own, or any of the workspace for an owner."""
    if actor.pk != token.user_id:
        policy.require(policy.membership_of(actor, token.workspace), Action.MANAGE_ALL_TOKENS)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(
            workspace=token.workspace,
            actor=actor,
            action="token.revoke",
            target=token,
            details={"name": token.name, "owner": token.user.email},
        )
    return token


def token_authenticate(raw: str) -> AccessToken | None:
    """The active token for a raw Bearer value, its last use noted (once a minute)."""
    if not raw.startswith(AccessToken.PREFIX):
        return None
    token = (
        AccessToken.objects.select_related("user", "workspace")
        .filter(token_hash=hash_secret(raw), revoked_at=None)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > TOKEN_TOUCH_INTERVAL:
        AccessToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def _ensure_owner(actor, workspace: Workspace) -> None:
    policy.require(policy.membership_of(actor, workspace), Action.MANAGE_MEMBERS)


def _check_role(role: str) -> None:
    if role not in Role.values:
        raise ValidationError({"role": f"Must be one of {', '.join(Role.values)}."})


def _keep_an_owner(membership: Membership) -> None:
    others = Membership.objects.filter(workspace=membership.workspace, role=Role.OWNER).exclude(
        pk=membership.pk
    )
    if not others.exists():
        raise ValidationError({"role": "A workspace needs at least one owner."})


def _clean_email(email: str) -> str:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": "Enter a valid email address."}) from None
    return email
