"""Issue 11, velocity rules: each pattern, made from real movements through the services, raises one alert.

The movements go through the same services the channels call (savings withdrawals
and transfers, a deposit settled by the operator's callback, a PIN change, an
agent's cash deposits), at times set by a fixed clock; the periodic scan then
raises exactly one `open` alert per rule, subject and window, nothing on a re-run,
nothing for the same activity under the thresholds, and never holds money.
"""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app.alerts.models import SecurityAlert
from tests.app.agents.agent_helpers import new_agent
from tests.clock_helpers import fixed_clock
from tests.money_helpers import fund_savings, kes

WHEN = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # 18:00 in Nairobi
clock = fixed_clock(WHEN)
_keys = iter(range(1, 100_000))


def member(services, phone, name="Amina Wanjiru"):
    member = services.members.register(phone=phone, name=name, national_id="12345678", locale="en", pin="4821")
    member.kyc_level = 3  # the velocity rules, not the KYC tier limits, are under test
    return member


@pytest.fixture
def amina(timed):
    return member(timed, "+254711000101")


@pytest.fixture
def baraka(timed):
    return member(timed, "+254711000102", "Baraka Otieno")


def withdraw(services, who, major):
    return services.savings.withdraw(who, kes(major), f"velocity:wd:{next(_keys)}", channel="whatsapp")


def transfer(services, who, to, major):
    return services.savings.transfer(who, to.phone, kes(major), f"velocity:tx:{next(_keys)}", channel="ussd")


def deposit(services, who, major):
    """A deposit the member starts and the operator confirms (the sandbox's callback)."""
    payment = services.savings.deposit(who, kes(major), f"velocity:dep:{next(_keys)}", channel="ussd")
    services.payments.apply_callback("sandbox", {
        "reference": payment.reference, "status": "succeeded", "receipt": f"SBX{payment.id}",
        "amount_minor": kes(major).minor, "currency": "KES", "phone": who.phone})
    assert payment.state == "succeeded"
    return payment


def alerts(session, rule=None):
    query = select(SecurityAlert).order_by(SecurityAlert.id)
    if rule:
        query = query.where(SecurityAlert.rule == rule)
    return list(session.scalars(query))


def scan(services):
    return services.alerts.scan()


def test_structuring_just_under_the_limit_three_times_in_a_day(timed, session, clock, amina, baraka):
    fund_savings(timed, amina, 30_000_000)
    withdraw(timed, amina, 64_000)  # the limit is KES 70,000 a transaction and 150,000 a day
    clock.advance(hours=2)
    transfer(timed, amina, baraka, 69_000)
    clock.advance(hours=5)  # past midnight in Nairobi: a new daily limit
    assert scan(timed).raised == []  # two are not a pattern
    withdraw(timed, amina, 63_500)
    [alert] = scan(timed).raised
    assert (alert.rule, alert.subject_type, alert.subject_id, alert.status) == ("structuring", "member", amina.id,
                                                                                "open")
    assert [m["amount_minor"] for m in alert.evidence["movements"]] == [-6_400_000, -6_900_000, -6_350_000]
    assert alert.evidence["window_hours"] == 24 and alert.evidence["margin_percent"] == 10
    clock.advance(minutes=5)
    assert scan(timed).raised == []  # the next scan overlaps: nothing twice
    assert len(alerts(session)) == 1


def test_smaller_movements_are_not_structuring(timed, session, clock, amina, baraka):
    fund_savings(timed, amina, 30_000_000)
    for _ in range(2):
        withdraw(timed, amina, 50_000)
        clock.advance(hours=1)
    transfer(timed, amina, baraka, 40_000)
    assert scan(timed).raised == [] and alerts(session, "structuring") == []


def test_money_in_and_more_than_80_percent_out_within_the_hour(timed, session, clock, amina, baraka):
    deposit(timed, amina, 10_000)
    clock.advance(minutes=20)
    transfer(timed, amina, baraka, 5_000)
    assert alerts(session, "pass_through") == [] and scan(timed).raised == []  # 50 % so far
    clock.advance(minutes=15)
    withdraw(timed, amina, 3_100)
    [alert] = scan(timed).raised
    assert (alert.rule, alert.subject_id) == ("pass_through", amina.id)
    assert alert.evidence["in_minor"] == 1_000_000 and alert.evidence["out_minor"] == 810_000
    assert scan(timed).raised == []


def test_money_that_stays_is_not_pass_through(timed, session, clock, amina, baraka):
    deposit(timed, amina, 10_000)
    clock.advance(minutes=30)
    transfer(timed, amina, baraka, 7_000)
    clock.advance(minutes=45)  # the hour is over
    withdraw(timed, amina, 2_500)
    assert scan(timed).raised == []


def test_pin_change_then_money_out_within_48_hours(timed, session, clock, amina):
    fund_savings(timed, amina, 1_000_000)
    assert timed.members.check_pin(amina, "4821") is None
    timed.members.set_pin(amina, "5930")
    assert amina.pin_changed_at == WHEN
    clock.advance(hours=47)
    withdraw(timed, amina, 1_000)
    [alert] = scan(timed).raised
    assert (alert.rule, alert.subject_id, alert.window_key) == ("change_then_money_out", amina.id,
                                                                f"pin:{WHEN.isoformat()}")
    assert alert.evidence["change"] == "pin" and len(alert.evidence["movements"]) == 1
    clock.advance(minutes=30)
    withdraw(timed, amina, 1_000)
    assert scan(timed).raised == []  # one alert per change


def test_money_out_long_after_a_pin_change_or_after_a_first_pin_raises_nothing(timed, session, clock, amina):
    fund_savings(timed, amina, 1_000_000)
    timed.members.set_pin(amina, "5930")
    new = timed.members.register(phone="+254711000103", name="Chausiku Njeri", national_id="23456789", locale="en")
    timed.members.set_pin(new, "7392")  # an agent-registered member's first PIN is no change
    assert new.pin_changed_at is None
    fund_savings(timed, new, 1_000_000)
    withdraw(timed, new, 1_000)
    clock.advance(hours=49)
    withdraw(timed, amina, 1_000)
    assert scan(timed).raised == []


def test_an_agent_doing_more_than_n_transactions_for_one_member_in_a_day(timed, session, clock, amina, baraka):
    agent = new_agent(timed, float_minor=10_000_000)
    for index in range(5):
        timed.agent_cash.cash_deposit(agent, amina, kes(500), idempotency_key=f"velocity:agent:a:{index}")
        timed.agent_cash.cash_deposit(agent, baraka, kes(500), idempotency_key=f"velocity:agent:b:{index}")
        clock.advance(minutes=10)
    assert scan(timed).raised == []  # five each: not more than five
    timed.agent_cash.cash_deposit(agent, amina, kes(500), idempotency_key="velocity:agent:a:6")
    [alert] = scan(timed).raised
    assert (alert.rule, alert.subject_type, alert.subject_id) == ("agent_member_volume", "agent", agent.id)
    assert alert.window_key == f"2026-11-24:member:{amina.id}" and alert.evidence["count"] == 6
    assert scan(timed).raised == []


def test_an_alert_only_records_it_never_holds_money(timed, session, clock, amina, baraka):
    fund_savings(timed, amina, 30_000_000)
    for major in (64_000, 65_000):
        withdraw(timed, amina, major)
    clock.advance(hours=8)
    withdraw(timed, amina, 66_000)
    assert [a.rule for a in scan(timed).raised] == ["structuring"]
    before = timed.savings.balance(amina)
    transfer(timed, amina, baraka, 1_000)  # the member's money still moves
    assert timed.savings.balance(amina) < before and timed.savings.balance(baraka) == kes(1_000)


def test_the_scheduler_runs_the_scan_every_few_minutes(app, timed, session, clock, amina, redis):
    from app.scheduler import JOBS, tick

    assert any(job.name == "alerts_scan" and job.every == "ALERT_SCAN_EVERY_MINUTES" for job in JOBS)
    enqueued = tick(app.extensions["settings"], redis, app.extensions["queues"], clock.now(), clock.zone)
    assert "alerts_scan" in enqueued
    again = tick(app.extensions["settings"], redis, app.extensions["queues"], clock.now(), clock.zone)
    assert "alerts_scan" not in again
