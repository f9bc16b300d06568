from celery import shared_task


@shared_task(name="functions_ide.ping")
def ping() -> str:
    """Answered by any live worker; used to prove the worker and by health checks."""
    return "pong"
