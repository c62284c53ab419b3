"""Period math: ISO weeks and months, meeting days, year ends."""

from datetime import date

from app.groups import periods


def test_periods_of_days():
    assert periods.period_of(date(2026, 11, 25), "weekly") == "2026-W48"
    assert periods.period_of(date(2026, 11, 25), "monthly") == "2026-11"
    assert periods.period_of(date(2027, 1, 1), "weekly") == "2026-W53"  # ISO: Friday of 2026's last week


def test_next_period_crosses_year_ends():
    assert periods.next_period("2026-W53") == "2027-W01"
    assert periods.next_period("2026-12") == "2027-01"
    assert periods.periods_between("2026-11", "2027-02") == ["2026-11", "2026-12", "2027-01", "2027-02"]
    assert periods.periods_between("2026-W48", "2026-W47") == []


def test_due_dates_and_first_owed_period():
    assert periods.due_date("2026-W48", 1) == date(2026, 11, 23)
    assert periods.due_date("2026-W48", 7) == date(2026, 11, 29)
    assert periods.due_date("2026-02", 28) == date(2026, 2, 28)
    assert periods.first_owed_period(date(2026, 11, 25), "weekly", 3) == "2026-W48"  # joined on meeting day
    assert periods.first_owed_period(date(2026, 11, 26), "weekly", 3) == "2026-W49"
    assert periods.first_owed_period(date(2026, 11, 26), "monthly", 15) == "2026-12"


def test_passed_and_due_periods():
    wednesday = date(2026, 11, 25)
    assert periods.last_passed_period(wednesday, "weekly", 3) == "2026-W47"
    assert periods.last_passed_period(wednesday, "weekly", 2) == "2026-W48"
    assert periods.last_due_period(wednesday, "weekly", 3) == "2026-W48"
    assert periods.last_due_period(wednesday, "weekly", 4) == "2026-W47"
    assert periods.last_due_period(date(2026, 1, 5), "monthly", 10) == "2025-12"


def test_meeting_days():
    assert periods.valid_meeting_day("weekly", 7) and not periods.valid_meeting_day("weekly", 8)
    assert periods.valid_meeting_day("monthly", 28) and not periods.valid_meeting_day("monthly", 29)
    assert not periods.valid_meeting_day("monthly", 0)
