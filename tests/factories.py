"""factory_boy factories of the catalog, shared by every test package.

They write rows directly (fast, no audit); tests of behaviour go through services
or the API. `SourceFactory` builds a function with a deployed version 1 if none given.
"""

import secrets

import factory
from django.contrib.auth import get_user_model

from catalog.models import (
    Function,
    FunctionVersion,
    Interface,
    Membership,
    Role,
    Source,
    Workspace,
)
from catalog.services import token_create

PASSWORD = "correct horse 42"

TRACK_CODE = """\
async function onRequest(request, settings) {
  const body = request.json();
  Segment.track({ event: body.event || 'Test', userId: body.userId || 'u1', properties: body });
}
"""


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    username = factory.SelfAttribute("email")
    password = factory.django.Password(PASSWORD)


class WorkspaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Workspace

    slug = factory.Sequence(lambda n: f"ws{n}")
    name = factory.LazyAttribute(lambda o: o.slug.upper())


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    workspace = factory.SubFactory(WorkspaceFactory)
    role = Role.MEMBER


class FunctionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Function

    workspace = factory.SubFactory(WorkspaceFactory)
    name = factory.Sequence(lambda n: f"Function {n}")
    slug = factory.Sequence(lambda n: f"function-{n}")
    interface = Interface.ON_REQUEST
    draft_code = TRACK_CODE
    draft_settings = factory.LazyFunction(list)


class FunctionVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FunctionVersion

    function = factory.SubFactory(FunctionFactory)
    number = factory.Sequence(lambda n: n + 1)
    code = factory.LazyAttribute(lambda o: o.function.draft_code)
    settings = factory.LazyAttribute(lambda o: o.function.draft_settings)
    interface = factory.LazyAttribute(lambda o: o.function.interface)
    methods = factory.LazyAttribute(lambda o: o.function.methods)
    responds = factory.LazyAttribute(lambda o: o.function.responds)
    # As a deploy copies them: the draft's time limit and retry policy.
    time_limit_ms = factory.LazyAttribute(lambda o: o.function.time_limit_ms)
    retry_on = factory.LazyAttribute(lambda o: o.function.retry_on)
    retry_attempts = factory.LazyAttribute(lambda o: o.function.retry_attempts)
    retry_first_delay_s = factory.LazyAttribute(lambda o: o.function.retry_first_delay_s)
    retry_max_delay_s = factory.LazyAttribute(lambda o: o.function.retry_max_delay_s)


def deployed_function(**kwargs) -> Function:
    """A function whose draft is deployed as version 1."""
    function = FunctionFactory(**kwargs)
    version = FunctionVersionFactory(function=function, number=1)
    function.deployed_version = version
    function.save(update_fields=["deployed_version"])
    return function


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Source

    function = factory.LazyFunction(deployed_function)
    workspace = factory.SelfAttribute("function.workspace")
    version = factory.SelfAttribute("function.deployed_version")
    name = factory.Sequence(lambda n: f"Source {n}")
    slug = factory.Sequence(lambda n: f"source-{n}")
    webhook_token = factory.LazyFunction(lambda: secrets.token_urlsafe(32))
    setting_values = factory.LazyFunction(dict)
    secret_values = factory.LazyFunction(dict)


def member(workspace: Workspace, role: str, email: str | None = None, **kwargs):
    """A user with a role in the workspace."""
    user = UserFactory(**({"email": email} if email else {}))
    MembershipFactory(user=user, workspace=workspace, role=role, **kwargs)
    return user


def bearer(user, workspace: Workspace) -> str:
    """An Authorization header value for a new token of the user."""
    _, raw = token_create(workspace=workspace, user=user, name="test")
    return f"Bearer {raw}"
