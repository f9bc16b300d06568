"""`manage.py serve`: Daphne plus, in the embedded mode, the in-process Celery worker.

Its access log shortens webhook, test-URL and invite tokens (functions_ide.access_log):
run the product with this command rather than `daphne` itself."""

from django.conf import settings
from django.core.management.base import BaseCommand

from functions_ide import daphne_adapter, served
from functions_ide.access_log import DaphneCommandLine


class Command(BaseCommand):
    help = "Serve the product with Daphne (and the embedded Celery worker unless disabled)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--fd", type=int, help="Serve on this already bound socket (socket activation)."
        )

    def handle(self, *args, host: str, port: int, fd: int | None, **options) -> None:
        serve_at_own_address(host=host, port=port, fd=fd)
        self.stdout.write(f"Webhook, test and invite URLs name {settings.PUBLIC_URL}")
        if settings.CELERY_EMBEDDED_WORKER:
            from functions_ide import embedded_worker

            embedded_worker.start(concurrency=settings.CELERY_EMBEDDED_CONCURRENCY, beat=True)
            self.stdout.write("Embedded Celery worker started.")
        daphne_adapter.guard_webhook_bodies()  # slow and oversized bodies, as they arrive
        daphne_adapter.log_requests_once()
        self.stdout.write(
            f"Serving on fd {fd}" if fd is not None else f"Serving on http://{host}:{port}/"
        )
        DaphneCommandLine().run(daphne_arguments(host=host, port=port, fd=fd))


def serve_at_own_address(*, host: str, port: int, fd: int | None) -> None:
    """Without PUBLIC_URL, the URLs the product shows name the address it listens on (not
    another port's); either way it is recorded for the commands run beside it."""
    if not settings.PUBLIC_URL_IS_SET:
        settings.PUBLIC_URL = (
            served.url_of_socket(fd) if fd is not None else served.url_of(host, port)
        )
    served.record(settings.DATA_DIR, settings.PUBLIC_URL)


def daphne_arguments(*, host: str, port: int, fd: int | None) -> list[str]:
    where = ["--fd", str(fd)] if fd is not None else ["-b", host, "-p", str(port)]
    # settings.TRUST_PROXY_HEADERS: the headers name the client only behind a proxy.
    proxy = ["--proxy-headers"] if settings.TRUST_PROXY_HEADERS else []
    return [*where, *proxy, "functions_ide.asgi:application"]
