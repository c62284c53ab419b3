"""Golden repayment schedules, checked by hand, and the rules' invariants over many random loans.

Each golden schedule was worked out independently of the code: the instalment from
P·r·(1+r)^n / ((1+r)^n − 1) in `bc -l` at 60 digits, then each row's interest as the
exact fraction outstanding × r (e.g. × 37/10400 for 18.5 %/52), rounded half-even by
hand. The working is in the comments next to each table.
"""

import json
import random
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal, localcontext

import pytest
from click.testing import CliRunner

from app.loans.cli import schedule_command
from app.loans.schedule import Instalment, add_periods, build_schedule, total_interest, total_repayable


@pytest.fixture(autouse=True)
def _isolation():
    """Schedules are pure: this module needs no database, so it opts out of tests/conftest.py's per-test one."""
    yield


def schedule(principal, rate, count, frequency, method, start=date(2026, 3, 2), currency="KES"):
    return build_schedule(principal_minor=principal, currency=currency, annual_rate=rate, instalments=count,
                          frequency=frequency, method=method, start=start)


def rows(instalments):
    return [(i.number, i.due_date.isoformat(), i.principal, i.interest, i.total) for i in instalments]


# KES 10,000.00 at 12 %, 6 months, from 31 Jan 2026. r = 0.01; (1.01)^6 = 1.061520150601;
# instalment = 1,000,000 cents × 0.01 × 1.061520150601 / 0.061520150601 = 172548.37 -> 172548.
# Interest: 1,000,000 × .01 = 10000; 837,452 × .01 = 8374.52 -> 8375; 673,279 -> 6732.79 -> 6733;
# 507,464 -> 5074.64 -> 5075; 339,991 -> 3399.91 -> 3400; 170,843 -> 1708.43 -> 1708 (last: 170843 + 1708).
ISSUE_EXAMPLE = [
    (1, "2026-02-28", 162548, 10000, 172548),
    (2, "2026-03-31", 164173, 8375, 172548),
    (3, "2026-04-30", 165815, 6733, 172548),
    (4, "2026-05-31", 167473, 5075, 172548),
    (5, "2026-06-30", 169148, 3400, 172548),
    (6, "2026-07-31", 170843, 1708, 172551),
]


def test_declining_monthly_matches_the_issue_example_row_by_row():
    result = schedule(1_000_000, Decimal("12"), 6, "monthly", "declining", start=date(2026, 1, 31))
    assert rows(result) == ISSUE_EXAMPLE
    assert total_interest(result) == 35291
    assert total_repayable(result) == 1_035_291


def test_declining_weekly_ugx_odd_principal_and_rate():
    # UGX 1,234,567 at 18.5 %, 7 weeks. r = 0.185/52 = 37/10400. bc: instalment 178885.46 -> 178885.
    # Interest (outstanding × 37 / 10400): 1234567 -> 4392.21 -> 4392; 1060074 -> 3771.42 -> 3771;
    # 884960 -> 3148.42 -> 3148; 709223 -> 2523.20 -> 2523; 532861 -> 1895.76 -> 1896;
    # 355872 -> 1266.08 -> 1266; 178253 -> 634.17 -> 634 (last: 178253 + 634).
    result = schedule(1_234_567, "18.5", 7, "weekly", "declining", currency="UGX")
    assert rows(result) == [
        (1, "2026-03-09", 174493, 4392, 178885),
        (2, "2026-03-16", 175114, 3771, 178885),
        (3, "2026-03-23", 175737, 3148, 178885),
        (4, "2026-03-30", 176362, 2523, 178885),
        (5, "2026-04-06", 176989, 1896, 178885),
        (6, "2026-04-13", 177619, 1266, 178885),
        (7, "2026-04-20", 178253, 634, 178887),
    ]
    assert total_interest(result) == 17630


def test_declining_monthly_odd_rate_from_29_february_of_a_leap_year():
    # KES 2,500.00 at 7.25 %, 3 months. r = 0.0725/12 = 29/4800. bc: instalment 84342.30 -> 84342.
    # Interest: 250000 -> 1510.42 -> 1510; 167168 -> 1009.97 -> 1010; 83836 -> 506.51 -> 507.
    result = schedule(250_000, "7.25", 3, "monthly", "declining", start=date(2028, 2, 29))
    assert rows(result) == [
        (1, "2028-03-29", 82832, 1510, 84342),
        (2, "2028-04-29", 83332, 1010, 84342),
        (3, "2028-05-29", 83836, 507, 84343),
    ]


def test_flat_weekly_kes_takes_both_remainders_on_the_last_instalment():
    # KES 3,333.33 at 13 %, 4 weeks: interest 333333 × 0.13 × 4 / 52 = 3333.33 -> 3333.
    # Principal 333333 / 4 = 83333 r 1; interest 3333 / 4 = 833 r 1.
    result = schedule(333_333, "13", 4, "weekly", "flat")
    assert rows(result) == [
        (1, "2026-03-09", 83333, 833, 84166),
        (2, "2026-03-16", 83333, 833, 84166),
        (3, "2026-03-23", 83333, 833, 84166),
        (4, "2026-03-30", 83334, 834, 84168),
    ]


def test_flat_weekly_ugx():
    # UGX 1,234,567 at 18.5 %, 7 weeks: 1234567 × 0.185 × 7 / 52 = 30745.47 -> 30745.
    # Principal 1234567 / 7 = 176366 r 5; interest 30745 / 7 = 4392 r 1.
    result = schedule(1_234_567, "18.5", 7, "weekly", "flat", currency="UGX")
    assert [(i.principal, i.interest) for i in result] == [(176366, 4392)] * 6 + [(176371, 4393)]
    assert total_interest(result) == 30745


def test_flat_monthly_from_30_november_clamps_february():
    # KES 2,500.00 at 7.25 %, 3 months: 250000 × 0.0725 × 3 / 12 = 4531.25 -> 4531 = 3 × 1510 + 1.
    result = schedule(250_000, "7.25", 3, "monthly", "flat", start=date(2026, 11, 30))
    assert rows(result) == [
        (1, "2026-12-30", 83333, 1510, 84843),
        (2, "2027-01-30", 83333, 1510, 84843),
        (3, "2027-02-28", 83334, 1511, 84845),
    ]


@pytest.mark.parametrize(("principal", "method", "expected"), [
    # UGX 5,200 at 18.5 % for one week: interest 5200 × 37/10400 = 18.5 exactly -> 18 (to even).
    (5_200, "declining", (5_200, 18)),
    (5_200, "flat", (5_200, 18)),
    # 15,600 × 37/10400 = 55.5 exactly -> 56 (to even).
    (15_600, "declining", (15_600, 56)),
    (15_600, "flat", (15_600, 56)),
    # 26,000 × 37/10400 = 92.5 exactly -> 92; a 28- or 40-digit Decimal rate gives 92.50...01 and 93.
    (26_000, "declining", (26_000, 92)),
    (26_000, "flat", (26_000, 92)),
])
def test_half_way_interest_rounds_to_even_although_the_rate_has_no_finite_decimal(principal, method, expected):
    [only] = schedule(principal, "18.5", 1, "weekly", method, currency="UGX")
    assert (only.principal, only.interest) == expected


@pytest.mark.parametrize("method", ["declining", "flat"])
def test_a_single_instalment_is_principal_plus_one_period_of_interest(method):
    [only] = schedule(1_000_000, "12", 1, "monthly", method, start=date(2026, 1, 31))
    assert only == Instalment(1, date(2026, 2, 28), 1_000_000, 10_000)
    assert only.total == 1_010_000


@pytest.mark.parametrize("method", ["declining", "flat"])
def test_zero_rate_splits_the_principal_and_charges_nothing(method):
    result = schedule(100_000, "0", 3, "monthly", method)
    assert [(i.principal, i.interest) for i in result] == [(33333, 0), (33333, 0), (33334, 0)]


def test_zero_rate_declining_rounds_the_instalment_half_even_and_the_last_absorbs_it():
    # 200 / 3 = 66.67 -> 67; the last pays what is left: 66.
    assert [i.principal for i in schedule(200, Decimal(0), 3, "monthly", "declining")] == [67, 67, 66]


def test_a_tiny_principal_never_pays_more_principal_than_is_outstanding():
    # 4 / 6 = 0.67 -> 1 a period would overpay by the fifth instalment.
    result = schedule(4, "0", 6, "monthly", "declining")
    assert [i.principal for i in result] == [1, 1, 1, 1, 0, 0]


@pytest.mark.parametrize(("start", "count", "frequency", "expected"), [
    (date(2026, 1, 31), 1, "monthly", date(2026, 2, 28)),
    (date(2026, 1, 31), 2, "monthly", date(2026, 3, 31)),
    (date(2026, 1, 31), 3, "monthly", date(2026, 4, 30)),
    (date(2028, 1, 31), 1, "monthly", date(2028, 2, 29)),
    (date(2028, 2, 29), 1, "monthly", date(2028, 3, 29)),
    (date(2028, 2, 29), 12, "monthly", date(2029, 2, 28)),
    (date(2028, 2, 29), 48, "monthly", date(2032, 2, 29)),
    (date(2026, 11, 30), 1, "monthly", date(2026, 12, 30)),
    (date(2026, 11, 30), 3, "monthly", date(2027, 2, 28)),
    (date(2026, 12, 15), 1, "monthly", date(2027, 1, 15)),
    (date(2026, 12, 29), 1, "weekly", date(2027, 1, 5)),
    (date(2028, 2, 26), 1, "weekly", date(2028, 3, 4)),
])
def test_due_dates(start, count, frequency, expected):
    assert add_periods(start, count, frequency) == expected


def test_month_end_dates_in_a_schedule_are_counted_from_the_start_not_the_previous_due_date():
    result = schedule(100_000, "12", 4, "monthly", "flat", start=date(2026, 1, 31))
    assert [i.due_date for i in result] == [date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30), date(2026, 5, 31)]


def independent_flat_interest(principal, rate, count, periods_per_year):
    """Decimal with the division last, so a half-way result stays exact."""
    with localcontext(prec=60):
        exact = Decimal(principal) * Decimal(rate) * count / (100 * periods_per_year)
        return int(exact.quantize(Decimal(1), ROUND_HALF_EVEN))


def independent_instalment(principal, rate, count, periods_per_year):
    with localcontext(prec=60):
        periodic = Decimal(rate) / (100 * periods_per_year)
        if periodic == 0:
            return int((Decimal(principal) / count).quantize(Decimal(1), ROUND_HALF_EVEN))
        growth = (1 + periodic) ** count
        return int((principal * periodic * growth / (growth - 1)).quantize(Decimal(1), ROUND_HALF_EVEN))


def test_sums_add_up_exactly_for_many_random_loans():
    rng = random.Random(20260131)
    for _ in range(600):
        principal = rng.choice([rng.randint(1_000, 99_999), rng.randint(100_000, 50_000_000)])
        rate = str(Decimal(rng.randint(0, 6000)) / 100)
        count = rng.randint(1, 60)
        frequency = rng.choice(["monthly", "weekly"])
        method = rng.choice(["declining", "flat"])
        start = date(2026, 1, 1) + (date(2026, 1, 1) - date(2025, 1, 1)) * rng.random()
        per_year = {"monthly": 12, "weekly": 52}[frequency]
        case = (principal, rate, count, frequency, method, start)
        result = schedule(principal, rate, count, frequency, method, start=start)
        assert len(result) == count, case
        assert [i.number for i in result] == list(range(1, count + 1)), case
        assert sum(i.principal for i in result) == principal, case
        assert total_repayable(result) == principal + total_interest(result), case
        assert all(i.principal >= 0 and i.interest >= 0 for i in result), case
        assert all(a.due_date < b.due_date for a, b in zip(result, result[1:], strict=False)), case
        assert result[0].due_date == add_periods(start, 1, frequency), case
        if method == "flat":
            assert total_interest(result) == independent_flat_interest(principal, rate, count, per_year), case
        else:
            instalment = independent_instalment(principal, rate, count, per_year)
            assert all(i.total == instalment for i in result[:-1]), case


def test_float_rates_are_refused():
    with pytest.raises(TypeError, match="float"):
        schedule(1_000_000, 12.0, 6, "monthly", "declining")


@pytest.mark.parametrize(("changes", "message"), [
    ({"principal_minor": 0}, "principal must be positive"),
    ({"principal_minor": -5}, "principal must be positive"),
    ({"instalments": 0}, "at least one instalment"),
    ({"annual_rate": "-0.5"}, "cannot be negative"),
    ({"annual_rate": "twelve"}, "not a rate"),
    ({"annual_rate": "NaN"}, "finite"),
    ({"frequency": "daily"}, "unknown frequency"),
    ({"method": "balloon"}, "unknown interest method"),
    ({"currency": "kes"}, "ISO 4217"),
])
def test_bad_inputs_are_refused_with_a_clear_message(changes, message):
    arguments = {"principal_minor": 1_000_000, "currency": "KES", "annual_rate": "12", "instalments": 6,
                 "frequency": "monthly", "method": "declining", "start": date(2026, 1, 31), **changes}
    with pytest.raises(ValueError, match=message):
        build_schedule(**arguments)


@pytest.mark.parametrize("changes", [{"principal_minor": 10.5}, {"start": datetime(2026, 1, 31, 9)}])
def test_wrong_types_are_refused(changes):
    arguments = {"principal_minor": 1_000_000, "currency": "KES", "annual_rate": "12", "instalments": 6,
                 "frequency": "monthly", "method": "declining", "start": date(2026, 1, 31), **changes}
    with pytest.raises(TypeError):
        build_schedule(**arguments)


ISSUE_COMMAND = ["--principal", "10000", "--currency", "KES", "--rate", "12", "--instalments", "6",
                 "--frequency", "monthly", "--method", "declining", "--start", "2026-01-31"]


def test_cli_json_is_the_issue_example_exactly():
    result = CliRunner().invoke(schedule_command, [*ISSUE_COMMAND, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == [
        {"number": n, "due_date": due, "principal": p, "interest": i, "total": t}
        for n, due, p, i, t in ISSUE_EXAMPLE
    ]


def test_cli_table_shows_formatted_amounts_and_totals():
    result = CliRunner().invoke(schedule_command, ISSUE_COMMAND)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["No.", "Due", "date", "Principal", "Interest", "Total"]
    assert lines[2].split() == ["1", "2026-02-28", "KES", "1,625.48", "KES", "100.00", "KES", "1,725.48"]
    assert lines[-1].split() == ["Total", "KES", "10,000.00", "KES", "352.91", "KES", "10,352.91"]
    assert len({len(line) for line in lines[2:8]}) == 1


def test_cli_reads_the_principal_exactly_in_major_units():
    cents = CliRunner().invoke(schedule_command, ["--principal", "10000.10", *ISSUE_COMMAND[2:], "--json"])
    assert cents.exit_code == 0, cents.output
    assert sum(row["principal"] for row in json.loads(cents.output)) == 1_000_010
    shillings = CliRunner().invoke(schedule_command, ["--principal", "1234567", "--currency", "ugx", "--rate", "18.5",
                                                      "--instalments", "7", "--frequency", "weekly",
                                                      "--method", "declining", "--start", "2026-03-02", "--json"])
    assert shillings.exit_code == 0, shillings.output
    assert sum(row["principal"] for row in json.loads(shillings.output)) == 1_234_567


@pytest.mark.parametrize(("option", "value"), [("--principal", "10000.001"), ("--principal", "ten"),
                                               ("--principal", "0"), ("--rate", "-1"), ("--rate", "abc")])
def test_cli_refuses_bad_values_as_usage_errors(option, value):
    arguments = list(ISSUE_COMMAND)
    arguments[arguments.index(option) + 1] = value
    result = CliRunner().invoke(schedule_command, arguments)
    assert result.exit_code == 2, result.output


def test_cli_start_defaults_to_today():
    arguments = ISSUE_COMMAND[:-2]
    result = CliRunner().invoke(schedule_command, [*arguments, "--json"])
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.output)) == 6
