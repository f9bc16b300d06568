from django.apps import AppConfig


class FunctionsIdeConfig(AppConfig):
    name = "functions_ide"
    verbose_name = "Source Functions IDE"

    def ready(self) -> None:
        from functions_ide import checks  # noqa: F401  (registers the system checks)
