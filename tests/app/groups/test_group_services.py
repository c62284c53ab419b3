"""The groups' collaborators: creating, joining, roles, contributions, arrears, fines, payouts, mobile money."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from app.groups import errors
from app.groups.models import GroupContribution, GroupFine
from app.groups.postings import pool_account, share_register
from app.ledger.references import entry_reference
from app.money import Money
from tests.app.groups.group_helpers import WEDNESDAY, chama, fund, joined, monday_group, person, savings
from tests.fakes import FakeProvider

# -- creating ---------------------------------------------------------------------------------------


def test_creator_becomes_the_active_chair(groups, amina):
    group = chama(groups, amina)
    assert len(group.code) == 6 and group.code.isdigit() and group.code[0] != "0"  # keypad-friendly (issue 16)
    assert group.contribution == Money(500_00, "KES") and group.frequency == "weekly" and group.fine is None
    row = groups.memberships.membership(group, amina)
    assert (row.role, row.status) == ("chair", "active") and row.joined_at == WEDNESDAY
    assert [g.id for g, _ in groups.memberships.groups_of(amina)] == [group.id]


@pytest.mark.parametrize("name", ["", "ab", "  ", "x" * 31, "!!!"])
def test_bad_group_names_are_refused(groups, amina, name):
    with pytest.raises(errors.InvalidGroupName):
        chama(groups, amina, name=name)


@pytest.mark.parametrize(("typed", "reason"), [
    ("abc", "not_a_number"), ("5OO", "not_a_number"), ("-500", "negative"), ("0", "zero"), ("0.00", "zero"),
    ("500.555", "too_many_decimals"), ("", "empty"), ("1234567890123", "too_large"),
])
def test_bad_contribution_amounts_are_refused(groups, amina, typed, reason):
    with pytest.raises(errors.InvalidAmount) as caught:
        chama(groups, amina, contribution=typed)
    assert caught.value.reason == reason
    assert caught.value.message.msgid


def test_amount_above_the_limit_is_refused_with_the_limit(groups, amina):
    with pytest.raises(errors.AmountAboveLimit) as caught:
        chama(groups, amina, contribution="150,001")
    assert caught.value.limit == Money(150_000_00, "KES")
    assert chama(groups, amina, contribution="150,000").contribution == Money(150_000_00, "KES")


def test_bad_frequency_and_meeting_days(groups, amina):
    with pytest.raises(errors.InvalidFrequency):
        chama(groups, amina, frequency="daily")
    for frequency, day in (("weekly", 8), ("weekly", 0), ("monthly", 29), ("monthly", "x"), ("weekly", "-1")):
        with pytest.raises(errors.InvalidMeetingDay):
            chama(groups, amina, frequency=frequency, meeting_day=day)
    assert chama(groups, amina, frequency="2", meeting_day="28").frequency == "monthly"


def test_ugx_group_has_no_minor_unit(services, groups):
    okello = person(services, "+256772000001", "Okello James")
    group = chama(groups, okello, contribution="5,000")
    assert group.contribution == Money(5000, "UGX")
    with pytest.raises(errors.InvalidAmount) as caught:
        chama(groups, okello, contribution="5000.50")
    assert caught.value.reason == "too_many_decimals"


# -- joining ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["ZZZZZZ", "12", "", "ABC-DE", "OOOOOO"])
def test_unknown_codes_are_refused(groups, amina, baraka, code):
    chama(groups, amina)
    with pytest.raises(errors.UnknownGroupCode):
        groups.memberships.join_by_code(baraka, code)


def test_join_by_code_in_any_case_waits_for_approval(groups, amina, baraka):
    group = chama(groups, amina)
    found, row = groups.memberships.join_by_code(baraka, " " + group.code.lower() + " ")
    assert found.id == group.id and row.status == "pending" and row.joined_at is None
    with pytest.raises(errors.AlreadyRequested):
        groups.memberships.join_by_code(baraka, group.code)
    with pytest.raises(errors.NotAMember):
        groups.contributions.group_balance(group, baraka)
    groups.memberships.approve(group, amina, baraka.id)
    assert row.status == "active" and row.joined_at == WEDNESDAY
    with pytest.raises(errors.AlreadyMember):
        groups.memberships.join_by_code(baraka, group.code)
    with pytest.raises(errors.AlreadyMember):
        groups.memberships.join_by_code(amina, group.code)


def test_other_currency_cannot_join(services, groups, amina):
    group = chama(groups, amina)
    okello = person(services, "+256772000001", "Okello James")
    with pytest.raises(errors.CurrencyMismatch):
        groups.memberships.join_by_code(okello, group.code)


def test_only_chair_or_treasurer_approves(groups, amina, baraka, chebet):
    group = chama(groups, amina)
    joined(groups, group, amina, baraka)
    groups.memberships.join_by_code(chebet, group.code)
    with pytest.raises(errors.NotAnOfficial):
        groups.memberships.approve(group, baraka, chebet.id)
    with pytest.raises(errors.NotAnOfficial):
        groups.memberships.approve(group, chebet, chebet.id)
    with pytest.raises(errors.NotAnOfficial):
        groups.memberships.pending_requests(group, baraka)
    groups.memberships.set_role(group, amina, baraka.id, "treasurer")
    assert [m.id for _, m in groups.memberships.pending_requests(group, baraka)] == [chebet.id]
    groups.memberships.approve(group, baraka, chebet.id)
    assert groups.memberships.membership(group, chebet).status == "active"


def test_declined_joiner_may_ask_again_and_stale_requests_are_refused(groups, amina, baraka):
    group = chama(groups, amina)
    groups.memberships.join_by_code(baraka, group.code)
    groups.memberships.decline(group, amina, baraka.id)
    assert groups.memberships.membership(group, baraka).status == "declined"
    with pytest.raises(errors.NoSuchRequest):
        groups.memberships.approve(group, amina, baraka.id)
    _, row = groups.memberships.join_by_code(baraka, group.code)
    assert row.status == "pending"


def test_roles_are_set_by_the_chair_who_can_hand_over(groups, amina, baraka):
    group = chama(groups, amina)
    joined(groups, group, amina, baraka)
    with pytest.raises(errors.NotTheChair):
        groups.memberships.set_role(group, baraka, baraka.id, "chair")
    with pytest.raises(errors.InvalidRole):
        groups.memberships.set_role(group, amina, baraka.id, "boss")
    with pytest.raises(errors.ChairMustHandOver):
        groups.memberships.set_role(group, amina, amina.id, "member")
    with pytest.raises(errors.ChairMustHandOver):
        groups.memberships.leave(group, amina)
    groups.memberships.set_role(group, amina, baraka.id, "chair")
    assert groups.memberships.membership(group, amina).role == "member"
    assert groups.memberships.membership(group, baraka).role == "chair"
    groups.memberships.leave(group, amina)
    assert groups.memberships.membership(group, amina).status == "left"


# -- contributions ----------------------------------------------------------------------------------


def test_contribution_from_savings_credits_pool_and_share_once(groups, amina, baraka):
    group = chama(groups, amina)
    joined(groups, group, amina, baraka)
    fund(groups, baraka, 2_000_00)
    rows = groups.contributions.contribute_from_savings(baraka, group, "500", "key-1", channel="ussd",
                                                        session_ref="ussd:s1")
    assert [(r.period, r.amount, r.late) for r in rows] == [("2026-W48", Money(500_00, "KES"), False)]
    again = groups.contributions.contribute_from_savings(baraka, group, "500", "key-1", channel="ussd",
                                                         session_ref="ussd:s1")
    assert [r.id for r in again] == [r.id for r in rows]
    assert savings(groups, baraka) == Money(1_500_00, "KES")
    assert groups.contributions.group_balance(group, amina) == Money(500_00, "KES")
    assert groups.contributions.my_share(group, baraka) == Money(500_00, "KES")
    assert groups.contributions.my_share(group, amina) == Money(0, "KES")
    assert groups.ledger.balance(share_register(groups.ledger, group)) == Money(-500_00, "KES")
    entry = groups.ledger.entry("key-1")
    assert len(entry.postings) == 4 and sum(p.amount for p in entry.postings) == 0
    assert (entry.initiated_by, entry.channel, entry.session_ref) == (f"member:{baraka.id}", "ussd", "ussd:s1")


def test_a_contribution_key_reused_for_another_amount_is_refused(groups, amina):
    group = chama(groups, amina)
    fund(groups, amina, 2_000_00)
    rows = groups.contributions.contribute_from_savings(amina, group, "500", "key-reused", channel="whatsapp")
    with pytest.raises(errors.ConflictingRequest):
        groups.contributions.contribute_from_savings(amina, group, "1000", "key-reused", channel="whatsapp")
    again = groups.contributions.contribute_from_savings(amina, group, "500", "key-reused", channel="whatsapp")
    assert [r.id for r in again] == [r.id for r in rows]
    assert savings(groups, amina) == Money(1_500_00, "KES")


def test_contribution_tells_the_member(groups, told, amina):
    group = chama(groups, amina)
    fund(groups, amina, 500_00)
    groups.contributions.contribute_from_savings(amina, group, Money(500_00, "KES"), "key-1")
    assert [(kind, params["group"]) for _, kind, _, params in told.calls] == [("contribution_received",
                                                                               "Umoja Women")]


def test_not_enough_savings_moves_nothing(groups, amina):
    group = chama(groups, amina)
    fund(groups, amina, 100_00)
    with pytest.raises(errors.NotEnoughSavings) as caught:
        groups.contributions.contribute_from_savings(amina, group, "500", "key-1")
    assert caught.value.available == Money(100_00, "KES")
    assert groups.ledger.entry("key-1") is None
    assert groups.contributions.last_contributions(group, amina) == []
    assert savings(groups, amina) == Money(100_00, "KES")


@pytest.mark.parametrize(("typed", "error"), [("abc", errors.InvalidAmount), ("-5", errors.InvalidAmount),
                                              ("0", errors.InvalidAmount), ("200000", errors.AmountAboveLimit)])
def test_bad_contributions_are_refused(groups, amina, typed, error):
    group = chama(groups, amina)
    fund(groups, amina, 500_00)
    with pytest.raises(error):
        groups.contributions.contribute_from_savings(amina, group, typed, "key-1")
    assert groups.ledger.entry("key-1") is None


def test_non_members_cannot_contribute_or_look(groups, amina, baraka):
    group = chama(groups, amina)
    fund(groups, baraka, 500_00)
    for call in (lambda: groups.contributions.contribute_from_savings(baraka, group, "500", "k"),
                 lambda: groups.contributions.my_share(group, baraka),
                 lambda: groups.contributions.last_contributions(group, baraka),
                 lambda: groups.arrears.my_arrears(group, baraka)):
        with pytest.raises(errors.NotAMember):
            call()


# -- arrears and fines ------------------------------------------------------------------------------


def test_arrears_per_member_per_period_since_joining(groups, clock, amina, baraka, chebet):
    group = monday_group(groups, clock, amina, baraka)
    clock.at = datetime(2026, 11, 17, 8, 0, tzinfo=UTC)  # Tuesday of W47: W45 and W46 have passed
    joined(groups, group, amina, chebet)
    clock.at = WEDNESDAY
    missed = groups.arrears.my_arrears(group, baraka)
    assert [d.period for d in missed.periods] == ["2026-W45", "2026-W46", "2026-W47", "2026-W48"]
    assert missed.total == Money(2_000_00, "KES")
    assert [d.period for d in groups.arrears.my_arrears(group, chebet).periods] == ["2026-W48"]
    fund(groups, baraka, 1_200_00)
    rows = groups.contributions.contribute_from_savings(baraka, group, "1,200", "key-1")
    assert [(r.period, r.amount.minor, r.late) for r in rows] == [
        ("2026-W45", 500_00, True), ("2026-W46", 500_00, True), ("2026-W47", 200_00, True)]
    after = groups.arrears.my_arrears(group, baraka)
    assert [(d.period, d.owed.minor) for d in after.periods] == [("2026-W47", 300_00), ("2026-W48", 500_00)]
    listing = groups.arrears.members_with_arrears(group, amina)
    assert [(m.id, a.total.minor) for _, m, a in listing] == [(amina.id, 2_000_00), (baraka.id, 800_00),
                                                               (chebet.id, 500_00)]
    with pytest.raises(errors.NotAnOfficial):
        groups.arrears.members_with_arrears(group, baraka)


def test_paying_ahead_fills_the_coming_periods(groups, amina):
    group = chama(groups, amina)  # meets Wednesdays: today's W48 is due today, not yet in arrears
    assert groups.arrears.my_arrears(group, amina).periods == []
    fund(groups, amina, 1_000_00)
    rows = groups.contributions.contribute_from_savings(amina, group, "1000", "key-1")
    assert [(r.period, r.late) for r in rows] == [("2026-W48", False), ("2026-W49", False)]


def test_late_fines_post_once_per_member_and_period(groups, clock, amina, baraka):
    group = monday_group(groups, clock, amina, baraka, fine="50")
    fund(groups, amina, 1_000_00)
    clock.at = datetime(2026, 11, 9, 6, 0, tzinfo=UTC)  # Monday W46: pays W45 late, W46 on time
    groups.contributions.contribute_from_savings(amina, group, "1000", "key-1")
    clock.at = WEDNESDAY
    fines = groups.fines.apply_late_fines(group, "2026-W46")
    assert [f.member_id for f in fines] == [baraka.id]
    assert fines[0].ledger_entry_id is None  # Baraka has no savings: the fine is owed
    assert groups.arrears.my_arrears(group, baraka).fines == Money(50_00, "KES")
    fund(groups, baraka, 100_00)
    groups.fines.apply_late_fines(group, "2026-W46")
    groups.fines.apply_late_fines(group, "2026-W46")
    assert groups.session.scalar(select(func.count(GroupFine.id)).where(GroupFine.group_id == group.id)) == 1
    assert savings(groups, baraka) == Money(50_00, "KES")
    assert groups.arrears.my_arrears(group, baraka).fines == Money(0, "KES")
    fines_45 = groups.fines.apply_late_fines(group, "2026-W45")
    assert sorted(f.member_id for f in fines_45) == [amina.id, baraka.id]  # Amina paid W45 late
    assert groups.arrears.my_arrears(group, amina).fines == Money(50_00, "KES")  # her savings went to the group
    assert groups.arrears.my_arrears(group, baraka).fines == Money(0, "KES")
    assert groups.contributions.group_balance(group, amina) == Money(1_000_00 + 50_00 + 50_00, "KES")


def test_no_fines_for_a_group_without_one_or_before_the_meeting(groups, clock, amina, baraka):
    group = monday_group(groups, clock, amina, baraka)
    assert groups.fines.apply_late_fines(group, "2026-W46") == []
    fined = monday_group(groups, clock, amina, baraka, fine="50")
    assert groups.fines.apply_late_fines(fined, "2026-W49") == []


# -- payouts ----------------------------------------------------------------------------------------


def test_payout_goes_to_the_next_member_once(groups, told, clock, amina, baraka, chebet):
    group = monday_group(groups, clock, amina, baraka, chebet)
    groups.payouts.set_payout_order(group, amina, [baraka.id, amina.id, chebet.id])
    for member in (amina, baraka, chebet):
        fund(groups, member, 500_00)
        groups.contributions.contribute_from_savings(member, group, "500", f"key-{member.id}")  # each pays W45
    period, recipient, amount = groups.payouts.payout_preview(group, amina, "2026-W45")
    assert (period, recipient.id, amount) == ("2026-W45", baraka.id, Money(1_500_00, "KES"))
    payout = groups.payouts.run_payout(group, "2026-W45", amina)
    again = groups.payouts.run_payout(group, "2026-W45", amina)
    assert again.id == payout.id and payout.member_id == baraka.id
    assert savings(groups, baraka) == Money(1_500_00, "KES")
    assert groups.contributions.group_balance(group, amina) == Money(0, "KES")
    assert groups.contributions.my_share(group, amina) == Money(0, "KES")
    assert groups.ledger.balance(share_register(groups.ledger, group)) == Money(0, "KES")
    [(m, kind, _, params)] = [call for call in told.calls if call[1] == "group_payout"]
    assert (m, params["amount"], params["balance"]) == (baraka.id, Money(1_500_00, "KES"), Money(1_500_00, "KES"))
    assert params["ref"] == entry_reference(payout.ledger_entry_id)  # the one confirmation names its movement
    with pytest.raises(errors.AlreadyPaidOut):
        groups.payouts.payout_preview(group, amina, "2026-W45")
    for member in (amina, baraka, chebet):
        fund(groups, member, 500_00)
        groups.contributions.contribute_from_savings(member, group, "500", f"key2-{member.id}")  # W46
    assert groups.payouts.run_payout(group, "2026-W46").member_id == amina.id


def test_payout_refusals(groups, clock, amina, baraka):
    group = monday_group(groups, clock, amina, baraka)
    with pytest.raises(errors.PayoutsNotEnabled):
        groups.payouts.run_payout(group, "2026-W46", amina)
    with pytest.raises(errors.NotAnOfficial):
        groups.payouts.set_payout_order(group, baraka)
    groups.payouts.set_payout_order(group, amina)
    with pytest.raises(errors.NotAnOfficial):
        groups.payouts.run_payout(group, "2026-W46", baraka)
    with pytest.raises(errors.NothingToPayOut):
        groups.payouts.run_payout(group, "2026-W46", amina)
    with pytest.raises(errors.PayoutNotDue):
        groups.payouts.run_payout(group, "2026-W49", amina)
    with pytest.raises(errors.NotAMember):
        groups.payouts.set_payout_order(group, amina, [amina.id, 999999])


def test_due_payouts_run_for_every_group_once(groups, clock, amina, baraka):
    group = monday_group(groups, clock, amina, baraka)
    groups.payouts.set_payout_order(group, amina)
    fund(groups, baraka, 500_00)
    clock.at = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)  # Monday W48
    # fills W45 (arrears first)
    groups.contributions.contribute_from_savings(baraka, group, Money(500_00, "KES"), "key-1")
    assert groups.payouts.run_due_payouts() == []  # W48 has no contributions yet
    assert groups.payouts.payout_period(group) == "2026-W48"


# -- mobile money -----------------------------------------------------------------------------------


def test_mobile_money_contribution_posts_when_the_provider_confirms(services, groups, amina):
    group = chama(groups, amina)
    services.providers.install(FakeProvider())
    services.payments.providers.by_country["KE"] = "fake"
    payment = groups.contributions.contribute_by_mobile_money(amina, group, "500", "mm-1", channel="ussd")
    assert payment.purpose == "contribution" and payment.amount == Money(500_00, "KES")
    assert groups.contributions.group_balance(group, amina) == Money(0, "KES")
    services.payments.send(payment.id, checkpoint=services.session.flush)
    confirmation = {"status": "succeeded", "ref": f"FK-{payment.reference}", "amount": payment.amount_minor,
                    "receipt": "R1"}
    services.payments.apply_callback("fake", confirmation)
    services.payments.apply_callback("fake", confirmation)
    assert payment.state == "succeeded"
    assert groups.contributions.group_balance(group, amina) == Money(500_00, "KES")
    assert groups.contributions.my_share(group, amina) == Money(500_00, "KES")
    rows = groups.session.scalars(select(GroupContribution).where(GroupContribution.payment_id == payment.id)).all()
    assert [(r.period, r.amount.minor) for r in rows] == [("2026-W48", 500_00)]
    assert groups.ledger.balance(pool_account(groups.ledger, group)) == Money(500_00, "KES")  # base + shards


def test_mobile_money_contribution_refuses_bad_input_before_any_request(services, groups, amina, baraka):
    group = chama(groups, amina)
    with pytest.raises(errors.NotAMember):
        groups.contributions.contribute_by_mobile_money(baraka, group, "500", "mm-1")
    with pytest.raises(errors.InvalidAmount):
        groups.contributions.contribute_by_mobile_money(amina, group, "five hundred", "mm-2")
    assert services.payments.by_key("mm-1") is None and services.payments.by_key("mm-2") is None


# -- commands ---------------------------------------------------------------------------------------


def test_payouts_and_fines_commands_run_once(app, groups, clock, amina, baraka):
    group = monday_group(groups, clock, amina, baraka, fine="50")
    groups.payouts.set_payout_order(group, amina)
    fund(groups, amina, 1_000_00)
    clock.at = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    groups.contributions.contribute_from_savings(amina, group, "500", "key-1")  # W45, on time
    groups.session.flush()
    runner = app.test_cli_runner()
    first = runner.invoke(args=["groups", "payouts", "--date", "2026-11-02"])
    second = runner.invoke(args=["groups", "payouts", "--date", "2026-11-02"])
    assert "1 payout(s) made for 2026-11-02" in first.output, first.output
    assert "0 payout(s) made" in second.output
    assert savings(groups, amina) == Money(1_000_00, "KES")  # Amina is first in turn and got her 500 back
    fines = runner.invoke(args=["groups", "fines", "--date", "2026-11-03"])
    assert "1 fine(s) for 2026-11-03, 1 not yet paid from savings" in fines.output, fines.output
    again = runner.invoke(args=["groups", "fines", "--date", "2026-11-03"])
    assert "1 fine(s)" in again.output
    assert groups.session.scalar(select(func.count(GroupFine.id)).where(GroupFine.group_id == group.id)) == 1
