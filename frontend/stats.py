"""The 24-hour chart of a source: executions and errors per hour, from its executions."""

from datetime import timedelta

from django.db.models import Count, Q
from django.db.models.functions import TruncHour
from django.utils import timezone

HOURS = 24


def hourly(executions) -> list[dict]:
    """One row per hour of the last 24 (oldest first), empty hours included."""
    now = timezone.now()
    start = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=HOURS - 1)
    counted = (
        executions.filter(started_at__gte=start)
        .order_by()
        .annotate(hour=TruncHour("started_at"))
        .values("hour")
        .annotate(total=Count("pk"), errors=Count("pk", filter=~Q(status="succeeded")))
    )
    by_hour = {row["hour"]: row for row in counted}
    rows = []
    for n in range(HOURS):
        hour = start + timedelta(hours=n)
        row = by_hour.get(hour, {})
        rows.append(
            {"hour": hour.isoformat(), "total": row.get("total", 0), "errors": row.get("errors", 0)}
        )
    return rows
