"""Contribution periods: pure calendar math, no database.

A weekly group's period is an ISO week (`2026-W48`), a monthly group's a month
(`2026-12`); both sort as strings in time order. A period is due on its meeting day
(weekly: ISO weekday 1-7 within the week; monthly: day 1-28, which every month has).
A contribution is late when it is paid after that day, and a period is in arrears
once its meeting day has passed without the full contribution.

Members never read the codes: `period_name` words them in their language
("week of 23 Nov", "Dec 2026"; "wiki ya 23 Nov", "Des 2026").
"""

from datetime import date, timedelta

from app.i18n import N_, DatePattern, T

WEEKDAYS = 7
LAST_MONTHLY_DAY = 28
"""Meeting days stop at 28 so that every month has one."""


def valid_meeting_day(frequency, day):
    return isinstance(day, int) and 1 <= day <= (WEEKDAYS if frequency == "weekly" else LAST_MONTHLY_DAY)


def period_of(day, frequency):
    """The period a calendar day falls in: `2026-W48` or `2026-12`."""
    if frequency == "weekly":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{day.year}-{day.month:02d}"


def first_day(period):
    """The first calendar day of a period."""
    year, _, rest = period.partition("-")
    if rest.startswith("W"):
        return date.fromisocalendar(int(year), int(rest[1:]), 1)
    return date(int(year), int(rest), 1)


def due_date(period, meeting_day):
    """The meeting day of a period: contributions after it are late."""
    start = first_day(period)
    return start + timedelta(days=meeting_day - 1)


def next_period(period):
    start = first_day(period)
    if "W" in period:
        return period_of(start + timedelta(days=WEEKDAYS), "weekly")
    return period_of(date(start.year + start.month // 12, start.month % 12 + 1, 1), "monthly")


def periods_between(first, last):
    """Every period from `first` to `last` inclusive, in order (empty when first > last)."""
    periods, current = [], first
    while current <= last:
        periods.append(current)
        current = next_period(current)
    return periods


def first_owed_period(joined_on, frequency, meeting_day):
    """The first period a member who joined on `joined_on` owes: the first meeting on or after joining."""
    period = period_of(joined_on, frequency)
    return period if due_date(period, meeting_day) >= joined_on else next_period(period)


def last_passed_period(today, frequency, meeting_day):
    """The latest period whose meeting day is strictly before `today` (its arrears are final)."""
    period = period_of(today, frequency)
    if due_date(period, meeting_day) < today:
        return period
    return period_of(first_day(period) - timedelta(days=1), frequency)


def last_due_period(today, frequency, meeting_day):
    """The latest period whose meeting day is today or earlier: the one a payout may run for."""
    period = period_of(today, frequency)
    if due_date(period, meeting_day) <= today:
        return period
    return period_of(first_day(period) - timedelta(days=1), frequency)


def period_name(period):
    """A period as members read it, a message parameter: the week by its Monday, the month by name and year."""
    start = first_day(period)
    if "W" in period:
        return T(N_("week of {date}"), date=DatePattern(start, "d MMM"))
    return DatePattern(start, "MMM y")
