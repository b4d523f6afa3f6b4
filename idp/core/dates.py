"""Times as the provider writes them: ISO 8601 in UTC for evidence (OIDC for Identity Assurance 1.0
§5.1.1 ``time``) and in words for the pages, as the GOV.UK style guide writes dates ("1 March 2026",
"1 March 2026 at 2:13pm"). English only for now: the page words have room for Welsh, dates do not yet.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

__all__ = ["iso_date", "iso_time", "long_date", "long_time"]

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def iso_time(seconds: int) -> str:
    """``2026-03-01T14:13:00Z``."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_date(seconds: int) -> str:
    """``2026-03-01`` (the UTC day)."""
    return datetime.fromtimestamp(seconds, UTC).date().isoformat()


def long_date(day: date | int) -> str:
    """A day (or the UTC day of a moment in seconds) in words: ``1 March 2026``."""
    if isinstance(day, int):
        day = datetime.fromtimestamp(day, UTC).date()
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def long_time(seconds: int) -> str:
    """A moment in UTC in words: ``1 March 2026 at 2:13pm``."""
    moment = datetime.fromtimestamp(seconds, UTC)
    hour = moment.hour % 12 or 12
    suffix = "am" if moment.hour < 12 else "pm"
    return f"{long_date(moment.date())} at {hour}:{moment.minute:02d}{suffix}"
