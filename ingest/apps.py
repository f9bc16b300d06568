from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class IngestConfig(AppConfig):
    name = "ingest"

    def ready(self) -> None:
        from catalog import tasks as catalog_tasks
        from catalog.models import Source
        from ingest.execute.sharing import shares

        # The editor's Runs take their workspace's share of a worker's threads too.
        catalog_tasks.share_threads_with(shares)

        # A source enabled, disabled, re-pinned or deleted is looked up afresh.
        for signal in (post_save, post_delete):
            signal.connect(_forget_sources, sender=Source, dispatch_uid="ingest-source-lookup")


def _forget_sources(**kwargs) -> None:
    from django.db import transaction

    from ingest.receive import source_lookup

    # Again once committed: another thread may have looked the old row up meanwhile.
    source_lookup.forget()
    transaction.on_commit(source_lookup.forget)
