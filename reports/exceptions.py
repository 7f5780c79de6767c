from core.errors import InvalidRequest


class ExportRangeTooLong(InvalidRequest):
    """An export covers at most a year of days: a longer one is refused rather than
    streamed for minutes (and a ten-year ledger is a database's job, not a CSV's)."""

    code = "range_too_long"
    detail = "An export covers at most 366 days."
    fields = {"max_days": int}


class ExportRangeReversed(InvalidRequest):
    code = "range_reversed"
    detail = "'to' must not be before 'from'."
