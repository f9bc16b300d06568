from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render


def home(request):
    return redirect("workspaces")


@login_required
def workspaces(request):
    """The workspace switcher: every workspace the user belongs to."""
    return render(request, "frontend/workspaces.html", {"workspaces": []})
