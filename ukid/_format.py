"""Formatting shared by the ``ukid`` commands."""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["iso_utc"]


def iso_utc(epoch: int | None) -> str:
    """An epoch time as ISO 8601 UTC (``-`` when absent; the raw number when off the calendar)."""
    if epoch is None:
        return "-"
    try:
        return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, OSError, ValueError):
        return f"{epoch} (outside the calendar)"
