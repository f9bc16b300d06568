from catalog.models import AuditEntry, Workspace


def audit_record(
    *, workspace: Workspace, actor, action: str, target, details: dict | None = None
) -> AuditEntry:
    """Write one audit entry. Callers pass setting *names* in details, never values."""
    return AuditEntry.objects.create(
        workspace=workspace,
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        target_type=type(target).__name__.lower(),
        target_id=str(target.pk),
        details=details or {},
    )
