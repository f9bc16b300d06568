"""`manage.py createworkspace SLUG --owner EMAIL [--password P]`.

Creates the workspace and its owner (username = email) and prints an API token of
the owner for it as the last line: `token: <api token>`.
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from catalog import services


class Command(BaseCommand):
    help = "Create a workspace and its owner; print an API token of the owner."

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--owner", required=True, metavar="EMAIL")
        parser.add_argument("--password", help="For a new owner (else they get an invite link).")
        parser.add_argument("--name", default="", help="A display name (default: the slug).")

    def handle(self, *args, slug: str, owner: str, password: str | None, name: str, **options):
        try:
            with transaction.atomic():
                user, created = services.user_get_or_create(email=owner, password=password)
                workspace = services.workspace_create(slug=slug, owner=user, name=name)
                invite_url = None
                if not user.has_usable_password():
                    invite_url = services.invite_create(workspace=workspace, user=user, actor=None)
                _, raw = services.token_create(workspace=workspace, user=user, name="cli")
        except ValidationError as exc:
            raise CommandError(_message(exc)) from None
        self.stdout.write(f"workspace: {workspace.slug}")
        self.stdout.write(f"owner: {user.email}" + (" (new user)" if created else ""))
        if invite_url:
            self.stdout.write(f"invite: {invite_url}")
        self.stdout.write(f"token: {raw}")


def _message(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
    return " ".join(exc.messages)
