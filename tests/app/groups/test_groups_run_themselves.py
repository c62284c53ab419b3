"""Groups that run themselves (issue 16): join notices, keypad codes, fines set by officials,
payouts proposed to officials, leaving with one's money."""

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from sqlalchemy import select, update

from app.groups import errors
from app.groups.membership import keypad_digits
from app.groups.models import Group, GroupContribution
from app.groups.postings import pool_account, share_register
from app.ledger.verify import verify_ledger
from app.money import Money
from app.notifications.staleness import stale
from tests.app.groups.group_helpers import chama, fund, joined, monday_group, savings
from tests.fakes import FakeProvider

# -- join requests are told to the officials, decisions to the joiner --------------------------------


def test_each_join_request_is_told_to_the_officials_and_the_decision_to_the_joiner(groups, told, amina, baraka,
                                                                                    chebet):
    group = chama(groups, amina)
    joined(groups, group, amina, chebet)
    groups.memberships.set_role(group, amina, chebet.id, "treasurer")
    told.calls.clear()
    groups.memberships.join_by_code(baraka, group.code)
    asks = [(who, kind, params["name"], params["group"]) for who, kind, _, params in told.calls]
    assert asks == [(amina.id, "group_join_request", "Baraka Otieno", "Umoja Women"),
                    (chebet.id, "group_join_request", "Baraka Otieno", "Umoja Women")]
    groups.memberships.decline(group, chebet, baraka.id)
    assert told.calls[-1][:2] == (baraka.id, "group_join_declined")
    told.calls.clear()
    groups.memberships.join_by_code(baraka, group.code)  # asks again: a new request, told again
    groups.memberships.approve(group, amina, baraka.id)
    assert [(who, kind) for who, kind, _, _ in told.calls] == [
        (amina.id, "group_join_request"), (chebet.id, "group_join_request"), (baraka.id, "group_join_approved")]
    keys = [key for _, kind, key, _ in told.calls]
    assert len(set(keys)) == len(keys)


def test_join_notices_go_out_in_the_members_language(services, session, amina, baraka):
    from app.notifications.models import Notification

    baraka.locale = "sw"
    group = services.group_memberships.create_group(amina, name="Umoja Women", contribution="500",
                                                     frequency="weekly", meeting_day=3)
    services.group_memberships.join_by_code(baraka, group.code)
    services.group_memberships.approve(group, amina, baraka.id)
    texts = {row.kind: row.text for row in session.scalars(select(Notification).where(
        Notification.kind.like("group_join%")))}
    assert "Baraka Otieno" in texts["group_join_request"] and "Join requests" in texts["group_join_request"]
    assert texts["group_join_approved"].startswith("Pamoja: sasa wewe ni mwanachama wa Umoja Women")


# -- keypad-friendly codes --------------------------------------------------------------------------


def test_new_codes_are_digits_and_old_letter_codes_answer_to_their_keypad_digits(groups, session, amina, baraka):
    group = chama(groups, amina)
    assert group.code.isdigit() and groups.memberships.by_code(group.code) == group
    session.execute(update(Group).where(Group.id == group.id).values(code="AB3XYZ"))  # a group from before
    session.expire_all()
    assert keypad_digits("AB3XYZ") == "223999"
    for typed in ("AB3XYZ", "ab3 xyz", "223999", "223 999"):
        assert groups.memberships.by_code(typed).id == group.id, typed
    assert groups.memberships.by_code("223998") is None
    assert not groups.memberships.code_is_free("223999")  # no new group ever gets the old code's digits
    _, row = groups.memberships.join_by_code(baraka, "223999")
    assert row.group_id == group.id


def test_keypad_digits_of_two_old_codes_find_neither(groups, session, amina, baraka):
    first, second = chama(groups, amina), chama(groups, baraka, name="Second Group")
    session.execute(update(Group).where(Group.id == first.id).values(code="ABCDEF"))
    session.execute(update(Group).where(Group.id == second.id).values(code="BCAFED"))
    session.expire_all()
    assert groups.memberships.by_code("222333") is None  # ambiguous: the member types the letters
    assert groups.memberships.by_code("bcafed").id == second.id


# -- the late fine, set from the phone ----------------------------------------------------------------


def test_officials_set_and_remove_the_late_fine(groups, amina, baraka):
    group = chama(groups, amina)
    joined(groups, group, amina, baraka)
    assert groups.fines.set_late_fine(group, amina, "50").fine == Money(50_00, "KES")
    with pytest.raises(errors.NotAnOfficial):
        groups.fines.set_late_fine(group, baraka, "10")
    with pytest.raises(errors.InvalidAmount):
        groups.fines.set_late_fine(group, amina, "abc")
    assert groups.fines.set_late_fine(group, amina, None).fine is None


def test_a_fine_given_at_creation_is_kept(groups, amina):
    assert chama(groups, amina, fine="20").fine == Money(20_00, "KES")


# -- the scheduler's fines and payout proposals -------------------------------------------------------


def week_45_paid_in(groups, clock, amina, baraka, chebet):
    """A Monday group paying out Baraka, Amina, Chebet in turn, on its W45 meeting day, everyone's 500 paid in."""
    group = monday_group(groups, clock, amina, baraka, chebet)
    groups.payouts.set_payout_order(group, amina, [baraka.id, amina.id, chebet.id])
    clock.at = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)  # Monday of W45, the meeting day
    for member in (amina, baraka, chebet):
        fund(groups, member, 500_00)
        groups.contributions.contribute_from_savings(member, group, "500", f"k-{member.id}")
    return group


def test_payouts_are_proposed_to_the_officials_once_and_paid_only_when_one_confirms(groups, told, clock, amina,
                                                                                   baraka, chebet):
    group = week_45_paid_in(groups, clock, amina, baraka, chebet)
    groups.memberships.set_role(group, amina, chebet.id, "treasurer")
    told.calls.clear()
    assert [(g.id, period) for g, period in groups.payouts.propose_due_payouts()] == [(group.id, "2026-W45")]
    groups.payouts.propose_due_payouts()  # the scheduler again: the same keys, so notify makes them once
    proposals = {(who, params["amount"], params["name"]) for who, kind, _, params in told.calls
                 if kind == "group_payout_due"}
    assert sorted(proposals) == sorted([(amina.id, Money(1_500_00, "KES"), "Baraka O."),
                                        (chebet.id, Money(1_500_00, "KES"), "Baraka O.")])
    assert len({key for _, kind, key, _ in told.calls if kind == "group_payout_due"}) == 2
    assert savings(groups, baraka) == Money(0, "KES")  # proposed, not paid
    groups.payouts.run_payout(group, "2026-W45", chebet)
    assert savings(groups, baraka) == Money(1_500_00, "KES")
    told.calls.clear()
    assert groups.payouts.propose_due_payouts() == []  # paid: nothing left to propose


def test_the_scheduler_runs_group_fines_and_payout_proposals():
    from app.groups.tasks import apply_group_fines, propose_group_payouts
    from app.scheduler import JOBS

    targets = {job.name: (job.target, job.at) for job in JOBS}
    assert targets["group_fines"] == (apply_group_fines, "GROUP_FINES_AT")
    assert targets["group_payouts"] == (propose_group_payouts, "GROUP_PAYOUTS_AT")


def test_scheduled_group_jobs_run_twice_fine_and_propose_once(app, session, monkeypatch, amina, baraka):
    """The jobs as the worker runs them: the second run of a day adds no fine and no proposal."""
    from app.clock import FixedClock
    from app.groups.models import GroupFine
    from app.groups.tasks import apply_group_fines, propose_group_payouts
    from app.notifications.models import Notification
    from app.services import build_services

    now = FixedClock(datetime(2026, 11, 2, 7, 0, tzinfo=UTC))  # Monday 10:00 in Nairobi, the meeting day
    monkeypatch.setitem(app.extensions, "clock", now)
    services = build_services(app, session)
    group = services.group_memberships.create_group(amina, name="Umoja Women", contribution="500",
                                                     frequency="weekly", meeting_day=1, fine="50")
    services.group_memberships.join_by_code(baraka, group.code)
    services.group_memberships.approve(group, amina, baraka.id)
    services.group_payouts.set_payout_order(group, amina)
    fund_from_clearing(services, amina, 500_00)
    services.group_contributions.contribute_from_savings(amina, group, "500", "k-amina")
    session.commit()
    now.at = datetime(2026, 11, 3, 4, 0, tzinfo=UTC)  # Tuesday 07:00: Monday's meeting has passed
    for _ in range(2):
        apply_group_fines()
        propose_group_payouts()
    fines = session.scalars(select(GroupFine).where(GroupFine.group_id == group.id)).all()
    assert [(f.member_id, f.period) for f in fines] == [(baraka.id, "2026-W45")]
    proposals = session.scalars(select(Notification).where(Notification.kind == "group_payout_due")).all()
    assert [row.member_id for row in proposals] == [amina.id]


def fund_from_clearing(services, member, minor):
    from tests.money_helpers import credit_from_clearing

    ledger = services.ledger
    credit_from_clearing(ledger, ledger.account("member", member.id, "member_savings", member.currency),
                         Money(minor, member.currency), f"test-fund:{member.id}:{minor}")


# -- leaving ----------------------------------------------------------------------------------------


def test_leaving_gives_back_the_share_not_yet_paid_out_and_keeps_fines(groups, told, clock, session, amina,
                                                                      baraka):
    group = monday_group(groups, clock, amina, baraka, fine="50")
    fund(groups, baraka, 2_000_00)
    groups.contributions.contribute_from_savings(baraka, group, "2000", "k-1")  # W45-W48 (late) then ahead
    groups.fines.apply_late_fines(group, "2026-W45")  # W45 paid late: a fine of 50, but his savings are empty
    assert groups.arrears.my_arrears(group, baraka).total == Money(50_00, "KES")
    with pytest.raises(errors.DueBeforeLeaving) as refused:
        groups.leaving.check_leave(group, baraka)
    assert refused.value.due == Money(50_00, "KES")
    fund(groups, baraka, 50_00)
    groups.fines.apply_late_fines(group, "2026-W45")  # the next run charges it
    assert groups.leaving.check_leave(group, baraka) == Money(2_000_00, "KES")
    told.calls.clear()
    back = groups.leaving.leave(group, baraka, channel="ussd")
    assert back == Money(2_000_00, "KES") and savings(groups, baraka) == Money(2_000_00, "KES")
    assert groups.memberships.membership(group, baraka).status == "left"
    assert groups.ledger.balance(pool_account(groups.ledger, group)) == Money(50_00, "KES")  # the fine stays
    assert groups.ledger.balance(share_register(groups.ledger, group)) == Money(0, "KES")
    assert [(who, kind, params["amount"]) for who, kind, _, params in told.calls] == [
        (baraka.id, "group_left", Money(2_000_00, "KES"))]
    rows = session.scalars(select(GroupContribution).where(GroupContribution.member_id == baraka.id)).all()
    assert rows and all(row.refunded_entry_id is not None for row in rows)
    assert verify_ledger(session) == []
    groups.memberships.join_by_code(baraka, group.code)  # he comes back: owes from his new joining day only
    groups.memberships.approve(group, amina, baraka.id)
    assert groups.arrears.my_arrears(group, baraka).total == Money(0, "KES")
    assert groups.contributions.my_share(group, baraka) == Money(0, "KES")


def test_the_chair_and_members_who_owe_cannot_leave(groups, clock, amina, baraka):
    group = monday_group(groups, clock, amina, baraka)
    with pytest.raises(errors.ChairMustHandOver):
        groups.leaving.leave(group, amina)
    with pytest.raises(errors.DueBeforeLeaving):
        groups.leaving.leave(group, baraka)  # W45-W48 unpaid
    assert groups.memberships.membership(group, baraka).status == "active"


def test_no_leaving_while_a_payout_waits_or_after_taking_the_pot_early(groups, clock, amina, baraka, chebet):
    group = week_45_paid_in(groups, clock, amina, baraka, chebet)
    with pytest.raises(errors.PayoutWaiting):
        groups.leaving.check_leave(group, chebet)
    groups.payouts.run_payout(group, "2026-W45", amina)  # Baraka takes the first pot
    with pytest.raises(errors.PayoutTurnOwed):
        groups.leaving.check_leave(group, baraka)
    assert groups.leaving.leave(group, chebet) == Money(0, "KES")  # his 500 went out in Baraka's payout
    assert savings(groups, chebet) == Money(0, "KES")


def test_a_payout_after_someone_left_counts_only_the_money_still_in_the_pool(groups, clock, session, amina, baraka,
                                                                           chebet):
    group = monday_group(groups, clock, amina, baraka, chebet)
    clock.at = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    groups.payouts.set_payout_order(group, amina, [amina.id, baraka.id, chebet.id])
    for member in (amina, baraka, chebet):
        fund(groups, member, 1_000_00)
        groups.contributions.contribute_from_savings(member, group, "500", f"k-{member.id}")  # W45
    groups.payouts.run_payout(group, "2026-W45", amina)
    for member in (amina, baraka, chebet):
        groups.contributions.contribute_from_savings(member, group, "500", f"k2-{member.id}")  # W46, ahead
    groups.leaving.leave(group, chebet)  # before W46's meeting: his W46 500 comes back
    assert savings(groups, chebet) == Money(500_00, "KES")
    clock.at = datetime(2026, 11, 9, 15, 0, tzinfo=UTC)
    payout = groups.payouts.run_payout(group, "2026-W46", amina)
    assert (payout.member_id, payout.amount) == (baraka.id, Money(1_000_00, "KES"))
    assert groups.ledger.balance(pool_account(groups.ledger, group)) == Money(0, "KES")
    assert verify_ledger(session) == []


def test_no_leaving_while_a_mobile_money_contribution_is_on_its_way(services, groups, amina, baraka):
    group = chama(groups, amina)
    joined(groups, group, amina, baraka)
    services.providers.install(FakeProvider())
    services.payments.providers.by_country["KE"] = "fake"
    groups.contributions.contribute_by_mobile_money(baraka, group, "500", "mm-1", channel="ussd")
    with pytest.raises(errors.ContributionOnItsWay):
        groups.leaving.check_leave(group, baraka)


# -- the share-out: the pool back to the members, to the cent -----------------------------------------


def test_a_savings_group_shares_out_shares_and_fines_to_the_cent(groups, told, clock, session, amina, baraka,
                                                                 chebet):
    group = monday_group(groups, clock, amina, baraka, chebet, fine="100")
    clock.at = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)  # W45's meeting day: all on time but Chebet
    fund(groups, amina, 500_00)
    fund(groups, baraka, 1_000_00)
    groups.contributions.contribute_from_savings(amina, group, "500", "k-a")
    groups.contributions.contribute_from_savings(baraka, group, "1000", "k-b")  # W45 and W46 ahead
    clock.at = datetime(2026, 11, 3, 8, 0, tzinfo=UTC)
    fund(groups, chebet, 600_00)
    groups.contributions.contribute_from_savings(chebet, group, "500", "k-c")  # late for W45
    groups.fines.apply_late_fines(group, "2026-W45")  # Chebet's fine of 100 goes to the pool
    assert groups.ledger.balance(pool_account(groups.ledger, group)) == Money(2_100_00, "KES")
    with pytest.raises(errors.NotAnOfficial):
        groups.share_out.plan(group, baraka)
    plan = groups.share_out.plan(group, amina)
    # the 100 of fines by shares 500:1000:500 is 25, 50, 25
    assert [(p.member.id, p.share, p.surplus) for p in plan.parts] == [
        (amina.id, Money(500_00, "KES"), Money(25_00, "KES")),
        (baraka.id, Money(1_000_00, "KES"), Money(50_00, "KES")),
        (chebet.id, Money(500_00, "KES"), Money(25_00, "KES"))]
    told.calls.clear()
    assert groups.share_out.share_out(group, amina, "so-1").total == Money(2_100_00, "KES")
    assert groups.share_out.share_out(group, amina, "so-1") is None  # the same request again pays nothing
    assert groups.ledger.balance(pool_account(groups.ledger, group)) == Money(0, "KES")
    assert groups.ledger.balance(share_register(groups.ledger, group)) == Money(0, "KES")
    assert [savings(groups, m) for m in (amina, baraka, chebet)] == [
        Money(525_00, "KES"), Money(1_050_00, "KES"), Money(525_00, "KES")]
    assert sorted(who for who, kind, _, _ in told.calls if kind == "group_share_out") == sorted(
        [amina.id, baraka.id, chebet.id])
    assert groups.arrears.my_arrears(group, baraka).periods == []  # shared-out periods stay paid
    assert verify_ledger(session) == []
    with pytest.raises(errors.NothingToShareOut):
        groups.share_out.plan(group, amina)


def test_a_fine_that_does_not_divide_evenly_leaves_no_cent_behind(groups, clock, session, amina, baraka, chebet):
    group = monday_group(groups, clock, amina, baraka, chebet, fine="100")
    groups.payouts.set_payout_order(group, amina)  # rotating: only the surplus is shared, equally
    clock.at = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    for member in (amina, baraka, chebet):
        fund(groups, member, 1_000_00)
        groups.contributions.contribute_from_savings(member, group, "500", f"k-{member.id}")
    groups.payouts.run_payout(group, "2026-W45", amina)
    clock.at = datetime(2026, 11, 10, 8, 0, tzinfo=UTC)  # W46 missed by all: three fines of 100
    groups.fines.apply_late_fines(group, "2026-W46")
    fund(groups, baraka, 100_00)
    groups.contributions.contribute_from_savings(baraka, group, "100", "k-w46")  # in the pool for W46's payout
    pool = groups.ledger.balance(pool_account(groups.ledger, group))
    assert pool == Money(400_00, "KES")
    with pytest.raises(errors.PayoutWaiting):
        groups.share_out.plan(group, amina)  # W46 has money and no payout yet
    groups.payouts.run_payout(group, "2026-W46", amina)
    groups.fines.set_late_fine(group, amina, None)
    plan = groups.share_out.plan(group, amina)
    assert [p.surplus for p in plan.parts] == [Money(100_00, "KES")] * 3 and plan.total == Money(300_00, "KES")
    groups.share_out.share_out(group, amina, "so-2")
    assert groups.ledger.balance(pool_account(groups.ledger, group)) == Money(0, "KES")
    assert verify_ledger(session) == []


def test_a_surplus_of_odd_shillings_goes_to_the_earliest_joiner_first(groups, clock, session, amina, baraka,
                                                                     chebet):
    group = monday_group(groups, clock, amina, baraka, chebet, fine="101")
    groups.payouts.set_payout_order(group, amina)
    clock.at = datetime(2026, 11, 3, 8, 0, tzinfo=UTC)
    fund(groups, chebet, 101_00)
    groups.fines.apply_late_fines(group, "2026-W45")  # only Chebet can pay her fine of 101
    plan = groups.share_out.plan(group, amina)
    assert [p.surplus for p in plan.parts] == [Money(34_00, "KES"), Money(34_00, "KES"), Money(33_00, "KES")]
    groups.share_out.share_out(group, amina, "so-3")
    assert groups.ledger.balance(pool_account(groups.ledger, group)) == Money(0, "KES")
    assert verify_ledger(session) == []


def test_the_propose_command_proposes_once(app, groups, clock, amina, baraka):
    group = monday_group(groups, clock, amina, baraka)
    groups.payouts.set_payout_order(group, amina)
    fund(groups, amina, 500_00)
    clock.at = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    groups.contributions.contribute_from_savings(amina, group, "500", "key-1")
    groups.session.flush()
    runner = app.test_cli_runner()
    first = runner.invoke(args=["groups", "propose", "--date", "2026-11-02"])
    assert f"group {group.id} 2026-W45: proposed to its officials" in first.output, first.output
    assert savings(groups, amina) == Money(0, "KES")  # nothing paid until an official confirms


def waiting(told, kind):
    """The notifications of `kind` told so far, as the rows dispatch asks `stale` about (quiet hours held them)."""
    return [SimpleNamespace(id=n, kind=kind, dedupe_key=key) for n, (_, said, key, _) in enumerate(told.calls)
            if said == kind]


def test_a_join_request_decided_before_the_morning_is_not_sent_to_the_officials(groups, told, session, amina,
                                                                                 baraka):
    group = chama(groups, amina)
    told.calls.clear()
    groups.memberships.join_by_code(baraka, group.code)
    asks = waiting(told, "group_join_request")
    assert asks and stale(session, asks) == set()
    groups.memberships.approve(group, amina, baraka.id)
    assert stale(session, asks) == {row.id for row in asks}


def test_a_payout_proposal_for_a_period_already_paid_is_not_sent(groups, told, clock, session, amina, baraka,
                                                                   chebet):
    group = week_45_paid_in(groups, clock, amina, baraka, chebet)
    told.calls.clear()
    groups.payouts.propose_due_payouts()
    proposals = waiting(told, "group_payout_due")
    assert proposals and stale(session, proposals) == set()
    groups.payouts.run_payout(group, "2026-W45", amina)
    assert stale(session, proposals) == {row.id for row in proposals}
