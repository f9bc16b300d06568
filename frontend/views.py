"""The pages: thin views that find the workspace (404 across workspaces), ask
catalog.policy what the user's role may do, and hand the page its initial data.

Everything a page changes goes through the REST API from the browser; the pages read
through the catalog and ingest selectors only.
"""

import re

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_safe

from catalog import access, policy, run_policy, selectors
from catalog.models import Function, Role, methods_in_words
from catalog.policy import Action
from ingest import destinations
from ingest import selectors as ingest_selectors


@require_safe
def home(request):
    return redirect("workspaces")


@login_required
@require_safe
def workspaces(request):
    """The workspace switcher: every workspace the user belongs to, and the invitations
    waiting for their answer (accepted through the invite link, declined here)."""
    items = [
        {
            "name": m.workspace.name,
            "slug": m.workspace.slug,
            "role": m.get_role_display(),
            "url": f"/workspaces/{m.workspace.slug}/functions/",
        }
        for m in selectors.memberships_of_user(request.user)
    ]
    invitations = list(selectors.invitations_of_user(request.user))
    context = {"workspaces": items, "invitations": invitations, "page": "workspaces"}
    return render(request, "frontend/workspaces.html", context)


def _context(request, ws: str, page: str) -> dict:
    """The workspace (or 404), the user's membership and what their role may do."""
    workspace = access.workspace_for_user(request.user, ws)
    membership = policy.membership_of(request.user, workspace)
    return {
        "workspace": workspace,
        "membership": membership,
        "role_name": membership.get_role_display(),
        "page": page,
        "can": policy.workspace_flags(membership),
    }


# The workspace an address is in: a 403 or 404 there keeps its nav for its members.
_IN_WORKSPACE = re.compile(r"^/workspaces/(?P<ws>[-\w]+)/")


def _workspace_nav(request) -> dict:
    """The page context of the workspace in the address, for a member of it; nothing for
    anyone else, so that a 404 never tells an outsider that the workspace exists."""
    found = _IN_WORKSPACE.match(request.path)
    if not found:
        return {}
    try:
        return _context(request, found["ws"], page="")
    except Http404:
        return {}


def not_found(request, exception):
    return render(request, "404.html", _workspace_nav(request), status=404)


def refused(request, exception):
    """Django's permission_denied with the nav: `exception` is the rule's refusal."""
    context = {**_workspace_nav(request), "exception": str(exception)}
    return render(request, "403.html", context, status=403)


@login_required
@require_safe
def help_legacy(request):
    """How a function written for the legacy interface runs here, and how to migrate it
    to onRequest (the editor links here from the runner's hint)."""
    return render(request, "frontend/help_legacy.html", {"page": "help"})


@login_required
@require_safe
def workspace_home(request, ws: str):
    access.workspace_for_user(request.user, ws)
    return redirect("functions", ws=ws)


@login_required
@require_safe
def functions(request, ws: str):
    """The functions catalog, with each function's sources for its side sheet."""
    context = _context(request, ws, "catalog")
    workspace = context["workspace"]
    sources_by_function: dict[int, list] = {}
    for source in selectors.source_list(workspace):
        sources_by_function.setdefault(source.function_id, []).append(
            {"slug": source.slug, "name": source.name, "version": source.version.number,
             "behind": source.is_behind, "enabled": source.enabled}
        )  # fmt: skip
    rows = list(selectors.function_list(workspace))
    for function in rows:
        function.connected = sources_by_function.get(function.pk, [])
    sheet = {
        str(f.pk): {
            "id": f.pk,
            "name": f.name,
            "description": f.description,
            "deployed_version": f.deployed_version.number if f.deployed_version else None,
            "sources": f.connected,
        }
        for f in rows
    }
    context.update(functions=rows, sheet=sheet)
    return render(request, "frontend/functions.html", context)


def _templates() -> list[dict]:
    from catalog import function_templates

    return [
        {"slug": t.slug, "name": t.name, "description": t.description}
        for t in function_templates.all_templates()
    ]


@login_required
@require_safe
def function_new(request, ws: str):
    """The editor on a function not created yet: it opens on the template picker."""
    context = _context(request, ws, "editor")
    policy.require(context["membership"], Action.EDIT_FUNCTIONS)
    context["editor"] = _editor_data(context, function=None)
    return render(request, "frontend/editor.html", context)


@login_required
@require_safe
def function_edit(request, ws: str, function_id: int):
    context = _context(request, ws, "editor")
    function = access.function_for_user(request.user, context["workspace"], function_id)
    context["function"] = function
    context["editor"] = _editor_data(context, function=function)
    return render(request, "frontend/editor.html", context)


def _editor_data(context: dict, *, function: Function | None) -> dict:
    workspace = context["workspace"]
    return {
        "workspace": workspace.slug,
        "function": function.pk if function else None,
        "can": context["can"],
        "templates": _templates() if function is None else [],
        "scratch_test_url": f"/workspaces/{workspace.slug}/functions/new/test/",
        # What a new function gets when Configure leaves a field empty.
        "run_policy_defaults": {
            "time_limit_ms": run_policy.time_limit(None),
            "retry_policy": run_policy.default_retry_policy().to_dict(),
        },
    }


@login_required
@require_safe
def sources(request, ws: str):
    context = _context(request, ws, "sources")
    workspace = context["workspace"]
    context["sources"] = selectors.source_list(workspace).order_by("name")
    context["deployed"] = selectors.function_list(workspace).filter(deployed_version__isnull=False)
    return render(request, "frontend/sources.html", context)


@login_required
@require_safe
def source_connect(request, ws: str):
    """Connect a source to a deployed function: a settings form from its definitions."""
    context = _context(request, ws, "connect")
    policy.require(context["membership"], Action.CREATE_SOURCES)
    deployed = selectors.function_list(context["workspace"]).filter(deployed_version__isnull=False)
    chosen = request.GET.get("function")
    function = next((f for f in deployed if str(f.pk) == chosen), None)
    context.update(functions=deployed, function=function)
    if function is not None:
        context["connect"] = {
            "workspace": context["workspace"].slug,
            "function": function.pk,
            "version": function.deployed_version.number,
            "settings": function.deployed_version.settings,
        }
    return render(request, "frontend/connect.html", context)


@login_required
@require_safe
def source_detail(request, ws: str, slug: str):
    context = _context(request, ws, "source")
    source = access.source_for_user(request.user, context["workspace"], slug)
    membership = context["membership"]
    can_manage = policy.allows(membership, Action.MANAGE_SOURCE, source)
    versions = list(source.function.versions.values_list("number", flat=True))
    context.update(
        source=source,
        can_manage=can_manage,
        # The URL works as a write credential: shown by the rule of the API (docs/security.md).
        can_see_webhook_url=policy.allows(membership, Action.SEE_WEBHOOK_URL, source),
        can_replay=policy.allows(membership, Action.REPLAY, source),
        versions=versions,
        accepted_methods=methods_in_words(source.version.methods),
    )
    context["source_data"] = {
        "workspace": context["workspace"].slug,
        "slug": source.slug,
        "can_manage": can_manage,
        "can_replay": context["can_replay"],
        "settings": source.version.settings,
        "destination_kinds": dict(destinations.Kind.choices),
    }
    return render(request, "frontend/source.html", context)


@login_required
@require_GET
def source_stats(request, ws: str, slug: str):
    """Executions and errors per hour over the last 24 hours, for the source's chart."""
    workspace = access.workspace_for_user(request.user, ws)
    source = access.source_logs_for_user(request.user, workspace, slug)
    return JsonResponse({"hours": ingest_selectors.hourly_execution_counts(source, hours=24)})


@login_required
@require_safe
def destinations_page(request, ws: str):
    """The workspace's destinations; the forms and buttons only for who may change them
    (the list and its counts come from the API, as after each change)."""
    context = _context(request, ws, "destinations")
    workspace = context["workspace"]
    first_source = selectors.source_list(workspace).order_by("name").first()
    context["destinations_data"] = {
        "workspace": workspace.slug,
        "can_manage": policy.allows(context["membership"], Action.MANAGE_DESTINATIONS),
        "kinds": _destination_kinds(),
        "messages": destinations.Destination.Messages.choices,
        "presets": _segment_presets(),
        "warehouse_path": _shown_path(destinations.warehouse_file(workspace)),
        "example_source": first_source.slug if first_source else "<source>",
    }
    return render(request, "frontend/destinations.html", context)


def _destination_kinds() -> list[dict]:
    """Each kind with its configuration and credential fields, and which are required:
    the service's table (ingest.destinations.FIELDS), so the form asks what it checks."""

    def fields(names: set[str]) -> list[dict]:
        return [
            {"name": name.rstrip("*"), "required": name.endswith("*")}
            for name in sorted(names, key=lambda n: n.rstrip("*"))
        ]

    return [
        {"value": kind.value, "label": kind.label, "config": fields(config),
         "credentials": fields(credentials)}
        for kind, (config, credentials) in destinations.FIELDS.items()
    ]  # fmt: skip


def _shown_path(path) -> str:
    """A path as typed in the project's folder (`make run` runs there), else whole."""
    inside = path.is_relative_to(settings.BASE_DIR)
    return str(path.relative_to(settings.BASE_DIR) if inside else path)


def _segment_presets() -> list[dict]:
    """The services the Segment-compatible kind knows, with what their form says."""
    return [
        {"value": key, "name": p.name, "base_url": p.base_url,
         "base_url_example": p.base_url_example, "write_key_help": p.write_key_help,
         "takes_objects": p.takes_objects, "check_note": p.check_note, "docs_url": p.docs_url}
        for key, p in destinations.PRESETS.items()
    ]  # fmt: skip


@login_required
@require_safe
def workspace_settings(request, ws: str):
    context = _context(request, ws, "settings")
    workspace = context["workspace"]
    context["members"] = selectors.member_list(workspace)
    if context["can"]["manage_members"]:
        context["invitations"] = selectors.invitation_list(workspace)
    context["roles"] = Role.choices
    context["tokens"] = selectors.token_list(workspace, request.user).filter(
        revoked_at__isnull=True
    )
    if context["can"]["read_audit"]:
        context["audit"] = selectors.audit_list(workspace)[:100]
    context["settings_data"] = {"workspace": workspace.slug, "me": request.user.pk}
    return render(request, "frontend/settings.html", context)
