"""Approvals: automatic under the threshold within the limit, by an officer, or by two group officials;
every decision recorded; disbursement by mobile money and what happens when the payout fails."""

import pytest

from app.groups.models import GroupMember
from app.loans import errors
from app.loans.models import LoanDecision
from app.payments.providers.base import ProviderResult
from tests.app.loans.loan_helpers import new_member, new_saver, product, savings
from tests.money_helpers import kes


@pytest.fixture
def saver(services):
    return new_saver(services)


def decisions(session, loan):
    return [(d.decision, d.actor, d.channel) for d in session.query(LoanDecision).filter_by(loan_id=loan.id)
            .order_by(LoanDecision.id)]


def test_above_the_threshold_waits_for_an_officer(services, saver, session):
    biz = product(services, auto_approve_max=1000000)
    loan = services.loans.apply_for(saver, biz, kes(20000), 6, idempotency_key="o1", destination="savings",
                                    channel="ussd")
    assert loan.state == "applied" and services.loans.pending() == [loan]
    services.loans.approve(loan.id, actor="operator:ann", channel="cli", reason="known client")
    assert loan.state == "disbursed"
    assert decisions(session, loan) == [("applied", f"member:{saver.id}", "ussd"), ("approved", "operator:ann", "cli"),
                                        ("disbursed", "operator:ann", "cli")]
    reasons = [d.reason for d in session.query(LoanDecision).filter_by(loan_id=loan.id, decision="approved")]
    assert reasons == ["known client"]
    with pytest.raises(errors.WrongState):
        services.loans.decline(loan.id, actor="operator:ann", channel="cli", reason="late")


def test_officer_decline_is_recorded_and_frees_the_member(services, saver, session):
    biz = product(services, approval="officer")
    loan = services.loans.apply_for(saver, biz, kes(5000), 3, idempotency_key="o2", destination="savings")
    services.loans.decline(loan.id, actor="operator:ann", channel="cli", reason="incomplete documents")
    assert loan.state == "declined"
    assert decisions(session, loan)[-1] == ("declined", "operator:ann", "cli")
    services.loans.check_member(saver)  # a declined loan does not block a new application


def test_group_product_needs_two_officials(services, saver, session):
    chair, treasurer, ordinary = (new_member(services, name=n) for n in ("Chiku Moraa", "Tumaini Achieng",
                                                                          "Juma Mwangi"))
    group = services.group_memberships.create_group(chair, name="Umoja Women", contribution=kes(500),
                                                    frequency="monthly", meeting_day=5)
    session.add_all([GroupMember(group_id=group.id, member_id=m.id, role=role, status="active",
                                 requested_at=services.clock.now(), joined_at=services.clock.now())
                     for m, role in ((treasurer, "treasurer"), (ordinary, "member"), (saver, "member"))])
    session.flush()
    own = product(services, code="UMOJA", approval="group", group_id=group.id)
    assert own in services.loans.products(saver) and own not in services.loans.products(new_member(services))
    loan = services.loans.apply_for(saver, own, kes(5000), 3, idempotency_key="g", destination="savings")
    assert loan.state == "applied"
    with pytest.raises(errors.NotAnOfficial):
        services.loans.approve_as_official(loan.id, ordinary, channel="ussd")
    services.loans.approve_as_official(loan.id, chair, channel="ussd")
    services.loans.approve_as_official(loan.id, chair, channel="ussd")  # the same official twice is one
    assert loan.state == "applied"
    services.loans.approve_as_official(loan.id, treasurer, channel="ussd")
    assert loan.state == "disbursed"
    assert [d[0] for d in decisions(session, loan)] == ["applied", "official_approved", "official_approved",
                                                        "official_approved", "approved", "disbursed"]


def test_mobile_money_disbursement_is_one_reservation_entry_then_clears(services, saver):
    biz = product(services)
    loan = services.loans.apply_for(saver, biz, kes(10000), 6, idempotency_key="m1", destination="mobile_money")
    assert loan.state == "disbursed"
    payment = services.payments.get(loan.disbursement_payment_id)
    assert (payment.purpose, payment.amount, payment.fee) == ("loan_disbursement", kes(9900), kes(100))
    entry = services.ledger.entry(f"payment:{payment.id}:reserve")
    by_kind = {p.account.kind: p.amount for p in entry.postings}
    assert by_kind == {"loan_principal_receivable": 1000000, "payouts_in_flight": -990000, "fee_income": -10000}
    before = savings(services, saver)
    assert paid_out_notices(services, saver) == []  # started, not arrived: "paid out" would be a promise
    result = ProviderResult("succeeded", payment.reference, None, "B2C1", kes(9900), saver.phone, {})
    services.payments.apply_result(result, "callback", provider=payment.provider, payment_id=payment.id)
    assert payment.state == "succeeded" and savings(services, saver) == before
    [notice] = paid_out_notices(services, saver)
    assert notice.text.startswith("Pamoja: your loan of KES 10,000 is paid out, fee KES 100: you get KES 9,900.")


def paid_out_notices(services, member):
    from app.notifications.models import Notification

    return services.session.query(Notification).filter_by(member_id=member.id, kind="loan_disbursed").all()


def test_failed_payout_puts_the_loan_back_to_approved(services, saver, session):
    biz = product(services)
    loan = services.loans.apply_for(saver, biz, kes(10000), 6, idempotency_key="m2", destination="mobile_money")
    payment = services.payments.get(loan.disbursement_payment_id)
    result = ProviderResult("failed", payment.reference, "insufficient_funds", None, None, None, {})
    services.payments.apply_result(result, "callback", provider=payment.provider, payment_id=payment.id)
    assert paid_out_notices(services, saver) == []  # never told "paid out" for money that did not arrive
    assert services.loans.revert_failed_disbursements() == [loan]
    assert loan.state == "approved" and services.loans.schedule(loan) == []
    assert services.ledger.balance(services.loans.accounts.principal(loan)) == kes(0)
    services.loans.redisburse(loan.id, actor="operator:ann", channel="cli", destination="savings")
    assert loan.state == "disbursed" and services.ledger.entry(f"loan:{loan.id}:disbursement:1") is not None
    assert services.loans.revert_failed_disbursements() == []
