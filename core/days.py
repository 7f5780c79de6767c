"""Days in the cinema's time zone (``TIME_ZONE``).

"A day" in ``?date=`` and in the reports is a local day. Its bounds are computed here in
Python, so the database needs no time zone tables (MariaDB's are often not loaded, and a
``__date`` lookup would then silently match nothing).
"""

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings

# Days outside this window are refused: no showtime or report lies there, and at the far
# ends of the calendar local midnight has no UTC equivalent (year 1 or 9999 overflow once
# shifted to UTC).
EARLIEST_DAY = dt.date(1900, 1, 1)
LATEST_DAY = dt.date(9998, 12, 31)
DAY_OUT_OF_RANGE = f"Give a day between {EARLIEST_DAY} and {LATEST_DAY}."


def day_in_range(day: dt.date) -> bool:
    """Whether a day asked for (a filter, a report's range) is one the schedule can
    show; refuse the others with ``DAY_OUT_OF_RANGE``."""
    return EARLIEST_DAY <= day <= LATEST_DAY


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def local_day_range(first: dt.date, last: dt.date | None = None) -> tuple[dt.datetime, dt.datetime]:
    """[local midnight starting ``first``, local midnight after ``last``) as aware
    datetimes; one day when ``last`` is not given. A DST day is 23 or 25 hours long."""
    zone = local_zone()
    last = first if last is None else last
    start = dt.datetime.combine(first, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    return start, end
