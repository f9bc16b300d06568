from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from catalog import selectors


def home(request):
    return redirect("workspaces")


@login_required
def workspaces(request):
    """The workspace switcher: every workspace the user belongs to."""
    items = [
        {
            "name": m.workspace.name,
            "slug": m.workspace.slug,
            "role": m.get_role_display(),
            "url": f"/workspaces/{m.workspace.slug}/",
        }
        for m in selectors.memberships_of_user(request.user)
    ]
    return render(request, "frontend/workspaces.html", {"workspaces": items})
