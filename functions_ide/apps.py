from django.apps import AppConfig


class FunctionsIdeConfig(AppConfig):
    name = "functions_ide"
    verbose_name = "Source Functions IDE"
