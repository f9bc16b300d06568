"""`manage.py addmember SLUG EMAIL --role owner|source_admin|member [--password P]`.

Adds the user (created when new, username = email) to the workspace with the role and
prints an API token of theirs for it as the last line: `token: <api token>`.
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from catalog import services
from catalog.management.commands.createworkspace import _message
from catalog.models import Membership, Role, Workspace


class Command(BaseCommand):
    help = "Add a member to a workspace with a role; print an API token of theirs."

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug")
        parser.add_argument("email")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--password", help="For a new user (else they get an invite link).")

    def handle(self, *args, slug: str, email: str, role: str, password: str | None, **options):
        workspace = Workspace.objects.filter(slug=slug).first()
        if workspace is None:
            raise CommandError(f"There is no workspace {slug!r}.")
        # The command acts with an owner's authority (whoever runs manage.py has it).
        owner = Membership.objects.filter(workspace=workspace, role=Role.OWNER).first()
        if owner is None:
            raise CommandError(f"Workspace {slug!r} has no owner to act for.")
        try:
            with transaction.atomic():
                user, invite_url = self._add_or_update(workspace, owner.user, email, role, password)
                _, raw = services.token_create(workspace=workspace, user=user, name="cli")
        except ValidationError as exc:
            raise CommandError(_message(exc)) from None
        self.stdout.write(f"member: {user.email} ({role}) in {workspace.slug}")
        if invite_url:
            self.stdout.write(f"invite: {invite_url}")
        self.stdout.write(f"token: {raw}")

    def _add_or_update(self, workspace, actor, email, role, password):
        """Add the member; for one already there, set the role (re-running is safe)."""
        existing = Membership.objects.filter(
            workspace=workspace, user__username__iexact=email.strip()
        ).first()
        if existing is not None:
            services.member_update(membership=existing, actor=actor, role=role)
            return existing.user, None
        added = services.member_add(
            workspace=workspace, actor=actor, email=email, role=role, password=password
        )
        return added.membership.user, added.invite_url
