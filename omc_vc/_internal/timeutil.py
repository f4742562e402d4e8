"""Time: UTC only, whole seconds when we produce, XMLSCHEMA11-2 dateTimeStamp when we parse."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta

from omc_vc.errors import MalformedValueError
from omc_vc.i18n import Message

# VCDM 2.0 §4.9, Example 32: dateTimeStamp (a zone offset is required).
_DATETIME_STAMP = re.compile(
    r"-?([1-9][0-9]{3,}|0[0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"T(([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?|(24:00:00(\.0+)?))"
    r"(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))"
)


def utcnow() -> datetime:
    return datetime.now(UTC)


def is_datetime_stamp(value: object) -> bool:
    return isinstance(value, str) and _DATETIME_STAMP.fullmatch(value) is not None


def parse_datetime(value: object, *, field: str = "date") -> datetime:
    """Parse an XMLSCHEMA11-2 dateTimeStamp into an aware UTC datetime."""
    if type(value) is str:
        # a verification reads the same few dates again and again (validFrom, proofs' created, status
        # lists, the registry): the parse is pure and a datetime is immutable, so valid texts are kept
        found = _parsed.get(value)
        if found is not None:
            return found
        parsed = _parse_datetime(value, field)
        if len(_parsed) >= _MAX_PARSED:
            _parsed.clear()
        _parsed[value] = parsed
        return parsed
    return _parse_datetime(value, field)


_parsed: dict[str, datetime] = {}
_MAX_PARSED = 4096


def _parse_datetime(value: object, field: str) -> datetime:
    if not is_datetime_stamp(value):
        raise MalformedValueError(Message("{field} {value} is not an XML Schema dateTimeStamp "
                                          "(e.g. 2025-01-01T00:00:00Z)", field=field, value=repr(value)))
    assert isinstance(value, str)
    text = value.replace("Z", "+00:00")
    if "T24:00:00" in text:
        raise MalformedValueError(Message("{field} {value}: 24:00:00 is not supported", field=field, value=repr(value)))
    try:
        # the conversion to UTC can leave Python's years 1-9999 (0001-01-01T00:00:00+14:00 is in year 0,
        # 9999-12-31T23:59:59-14:00 in year 10000): XSD admits those values, a datetime cannot hold them
        return datetime.fromisoformat(text).astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise MalformedValueError(Message("{field} {value} is not a valid date-time", field=field,
                                          value=repr(value))) from exc


def parse_user_time(value: str, *, field: str = "time") -> datetime:
    """A time given on the command line: a dateTimeStamp, or a naive ISO time taken as UTC."""
    if is_datetime_stamp(value):
        return parse_datetime(value, field=field)
    try:
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise MalformedValueError(Message("{field} {value} is not an ISO 8601 date-time", field=field,
                                          value=repr(value))) from exc


#: The first and last instants a datetime can hold, in UTC.
EARLIEST = datetime.min.replace(tzinfo=UTC)
LATEST = datetime.max.replace(tzinfo=UTC)


def shift(moment: datetime, delta: timedelta) -> datetime:
    """``moment + delta``, held at EARLIEST/LATEST where the sum leaves years 1-9999.

    For comparisons with a tolerance (clock skew, a cache's age): a validUntil of 9999-12-31T23:59:59Z
    plus five minutes of skew is "later than any time we can compare with", not an OverflowError.
    """
    try:
        return moment + delta
    except OverflowError:
        return LATEST if delta > timedelta(0) else EARLIEST


def from_timestamp(seconds: object, *, field: str = "time") -> datetime:
    """A NumericDate (RFC 7519 §2: seconds since the epoch, an int or a float) as an aware UTC datetime;
    MalformedValueError for a bool, NaN, an infinity or a number outside years 1-9999."""
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        raise MalformedValueError(Message("{field} must be a number of seconds since 1970-01-01T00:00:00Z",
                                          field=field))
    if isinstance(seconds, float) and not math.isfinite(seconds):
        raise MalformedValueError(Message("{field} is not a finite number", field=field))
    if not EARLIEST.timestamp() <= seconds <= LATEST.timestamp():
        raise MalformedValueError(Message("{field} is outside the years 1-9999", field=field))
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (ValueError, OverflowError, OSError) as exc:
        raise MalformedValueError(Message("{field} is outside the years 1-9999", field=field)) from exc


def format_datetime(moment: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SSZ`` (UTC, whole seconds): the form we always sign."""
    if moment.tzinfo is None:
        raise ValueError("naive datetimes are not allowed")
    # isoformat, not strftime("%Y"): glibc writes the year 1 as "1", which is no dateTimeStamp
    return moment.astimezone(UTC).replace(microsecond=0, tzinfo=None).isoformat() + "Z"
