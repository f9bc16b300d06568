"""Pages of the catalog: accepting an invite (setting a first password)."""

from django.contrib.auth import login
from django.contrib.auth.forms import SetPasswordForm
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from catalog import selectors, services


@require_http_methods(["GET", "HEAD", "POST"])
def accept_invite(request, token: str):
    """A new member sets their password through the one-time link an owner passed on."""
    invite = selectors.invite_for_token(token)
    if invite is None:
        return render(request, "catalog/invite_invalid.html", status=404)
    form = SetPasswordForm(invite.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = services.invite_accept(invite=invite, password=form.cleaned_data["new_password1"])
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect("workspaces")
    return render(request, "catalog/invite.html", {"form": form, "invite": invite})
