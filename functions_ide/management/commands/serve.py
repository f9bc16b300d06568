"""`manage.py serve`: Daphne plus, in the embedded mode, the in-process Celery worker."""

from daphne.cli import CommandLineInterface
from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve the product with Daphne (and the embedded Celery worker unless disabled)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args, host: str, port: int, **options) -> None:
        if settings.CELERY_EMBEDDED_WORKER:
            from functions_ide import embedded_worker

            embedded_worker.start(concurrency=settings.CELERY_EMBEDDED_CONCURRENCY, beat=True)
            self.stdout.write("Embedded Celery worker started.")
        self.stdout.write(f"Serving on http://{host}:{port}/")
        CommandLineInterface().run(
            ["-b", host, "-p", str(port), "--proxy-headers", "functions_ide.asgi:application"]
        )
