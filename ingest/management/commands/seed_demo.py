"""`manage.py seed_demo` (run by `make run`): a demo workspace to try the product with.

Idempotent: the first run creates the workspace `demo`, its owner and a source admin,
a function (from the Stripe template when there is one) deployed as version 1, a
source running it and an embedded warehouse (a DuckDB destination) its events and
objects load into; later runs change nothing and print the same facts again.
"""

from django.core.management.base import BaseCommand
from django.db import transaction

from catalog import services
from catalog.models import Function, Role, Source, Workspace
from ingest import destinations
from ingest.deliver.destinations import warehouse_file
from ingest.models import Destination

WORKSPACE = "demo"
# A fixed, documented password: the demo runs on the user's own machine.
PASSWORD = "demo-functions-2024"
OWNER = "owner@demo.example"
SOURCE_ADMIN = "admin@demo.example"
FUNCTION = "stripe-events"
SOURCE = "stripe-demo"

INLINE_CODE = """\
async function onRequest(request, settings) {
  const body = request.json();
  if (!body.userId) throw new ValidationError('userId is missing');
  Segment.track({ event: body.event || 'Webhook Received', userId: body.userId,
                  properties: body.properties || {} });
}
"""


class Command(BaseCommand):
    help = "Create the demo workspace (idempotent) and print how to log in."

    def handle(self, *args, **options) -> None:
        with transaction.atomic():
            workspace, owner = self._workspace()
            function = self._function(workspace, owner)
            source = self._source(workspace, owner, function)
            self._warehouse(workspace, owner)
        self.stdout.write(f"Demo workspace: {workspace.slug}")
        self.stdout.write(f"  owner:        {OWNER} / {PASSWORD}")
        self.stdout.write(f"  source admin: {SOURCE_ADMIN} / {PASSWORD}")
        self.stdout.write(f"  function:     {function.name} (v{function.deployed_version.number})")
        self.stdout.write(f"  source:       {source.name}, webhook URL {source.webhook_url}")
        self.stdout.write(
            f"  warehouse:    .venv/bin/duckdb -readonly {warehouse_file(workspace)} "
            f'"select * from {source.slug.replace("-", "_")}.tracks"'
        )

    def _workspace(self):
        owner, _ = services.user_get_or_create(email=OWNER, password=PASSWORD)
        workspace = Workspace.objects.filter(slug=WORKSPACE).first()
        if workspace is None:
            workspace = services.workspace_create(slug=WORKSPACE, owner=owner, name="Demo")
        admin_exists = workspace.memberships.filter(user__username=SOURCE_ADMIN).exists()
        if not admin_exists:
            services.member_add(
                workspace=workspace,
                actor=owner,
                email=SOURCE_ADMIN,
                role=Role.SOURCE_ADMIN,
                password=PASSWORD,
            )
        return workspace, owner

    def _function(self, workspace, owner) -> Function:
        function = Function.objects.filter(workspace=workspace, slug=FUNCTION).first()
        if function is None:
            function = services.function_create(
                workspace=workspace, actor=owner, slug=FUNCTION, **_starting_point()
            )
        if function.deployed_version is None:
            services.function_deploy(function=function, actor=owner, message="Demo version")
        return function

    def _source(self, workspace, owner, function) -> Source:
        source = Source.objects.filter(workspace=workspace, slug=SOURCE).first()
        if source is None:
            source = services.source_create(
                workspace=workspace,
                actor=owner,
                function=function,
                name="Stripe (demo)",
                slug=SOURCE,
                follow_deployed=True,
            )
        return source

    def _warehouse(self, workspace, owner) -> Destination:
        """The embedded warehouse, so the demo's events can be queried with SQL at once."""
        found = Destination.objects.filter(workspace=workspace, kind=Destination.Kind.DUCKDB)
        if found.exists():
            return found.first()
        destination, _ = destinations.destination_create(
            actor=owner, workspace=workspace, name="Warehouse (embedded)",
            kind=Destination.Kind.DUCKDB, config={}, credentials={},
        )  # fmt: skip
        return destination


def _starting_point() -> dict:
    """The Stripe template when the template library has it, else a small function."""
    try:
        from catalog import function_templates

        function_templates.get_template("stripe")
    except (ImportError, AttributeError, KeyError, LookupError, ValueError):
        return {"name": "Stripe events", "code": INLINE_CODE}
    return {"name": "Stripe events", "template": "stripe"}
