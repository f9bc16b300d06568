"""System checks: configuration the product cannot run with is refused at startup
(`manage.py check`, `serve`, `migrate`...), not met by every execution later."""

from django.conf import settings
from django.core.checks import Error, register

from runner.limits import Limits


@register("runner")
def runner_limits_check(app_configs, **kwargs) -> list[Error]:
    """Every variable behind settings.RUNNER_LIMITS within its range (runner.Limits)."""
    errors = []
    for field, variable in settings.RUNNER_LIMIT_VARIABLES.items():
        value = getattr(settings, variable)
        problem = Limits.problem(field, value)
        if problem:
            errors.append(
                Error(
                    f"{variable}={value!r} is out of range: {problem}.",
                    hint=f"Change it, or unset it for the default ({getattr(Limits(), field)}).",
                    id="functions_ide.E001",
                )
            )
    return errors
