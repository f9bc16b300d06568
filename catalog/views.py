"""Pages of the catalog: logging in, and an invite link, where an invitation is
accepted.

A new account chooses its first password there; an existing account accepts with its
own password, or at once when it is the one logged in. A link never sets the password
of an account that has one (issue 18.1, docs/security.md). Both pages say "too many
attempts" while the login throttle refuses (issue 18.2)."""

from django.conf import settings
from django.contrib.auth import authenticate, login
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import SetPasswordForm
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from catalog import login_throttle, selectors, services

JOIN = "catalog/invite_join.html"


class LoginView(auth_views.LoginView):
    def form_invalid(self, form):
        lockout = login_throttle.lockout_of(self.request)
        if lockout is not None:
            return login_throttle.too_many_attempts(self.request, lockout)
        return super().form_invalid(form)


@require_http_methods(["GET", "HEAD", "POST"])
def accept_invite(request, token: str):
    invite = selectors.invite_for_token(token)
    if invite is None:
        return render(request, "catalog/invite_invalid.html", status=404)
    if invite.chooses_password:
        return _choose_password(request, invite)
    return _join(request, invite)


def _choose_password(request, invite):
    """The account was made by this invitation: its holder sets the first password."""
    form = SetPasswordForm(invite.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = services.invite_accept(invite=invite, password=form.cleaned_data["new_password1"])
        login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
        return redirect("workspaces")
    return render(request, "catalog/invite.html", {"form": form, "invite": invite})


def _join(request, invite):
    """An existing account: accepted by its holder, logged in or giving its password."""
    page = {"invite": invite}
    if request.user.is_authenticated and request.user.pk != invite.user_id:
        status = 403 if request.method == "POST" else 200
        return render(request, JOIN, {**page, "other_account": True}, status=status)
    if not request.user.is_authenticated and not invite.user.has_usable_password():
        return render(request, JOIN, {**page, "no_password_yet": True})
    if request.method != "POST":
        return render(request, JOIN, page)
    if not request.user.is_authenticated:
        user = authenticate(
            request, username=invite.user.get_username(), password=request.POST.get("password", "")
        )
        if user is None:
            lockout = login_throttle.lockout_of(request)
            if lockout is not None:
                return login_throttle.too_many_attempts(request, lockout)
            return render(request, JOIN, {**page, "wrong_password": True})
        login(request, user)
    services.invitation_accept(invite=invite, user=request.user)
    return redirect("workspace", ws=invite.workspace.slug)
