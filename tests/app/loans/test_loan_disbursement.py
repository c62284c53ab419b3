"""Applying, automatic approval and disbursement: one balanced entry, the schedule fixed that day."""

from datetime import date

from app.ledger.verify import verify_ledger
from app.loans.models import LoanDecision
from tests.app.loans.loan_helpers import new_member, new_saver, product, regular_saver, savings
from tests.money_helpers import kes


def test_auto_approved_loan_is_disbursed_into_savings_with_one_entry(services, session):
    member = new_member(services)
    regular_saver(services, member, 1000000)  # KES 10,000 a month for 6 months: a full saving score
    biz = product(services)
    quote = services.loans.quote(biz, kes(10000), 6)
    assert quote.instalment == kes(1725)  # a KES product rounds to whole shillings (1,725.48 exact)
    assert quote.fee == kes(100) and quote.receive == kes(9900)
    score = services.loans.limit(member, biz).score
    loan = services.loans.apply_for(member, biz, kes(10000), 6, idempotency_key="k1", destination="savings",
                                    channel="ussd")
    assert services.loans.limit(member, biz).score == score  # a loan paid into savings is not saving
    assert loan.state == "disbursed"
    assert loan.disbursed_on == date(2026, 1, 31)
    rows = services.loans.schedule(loan)
    assert [row.due_date for row in rows][:3] == [date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30)]
    assert sum(row.principal_due_minor for row in rows) == 1000000
    assert rows[0].principal_due_minor + rows[0].interest_due_minor == 172500
    entry = services.ledger.entry(f"loan:{loan.id}:disbursement:0")
    assert sorted(p.amount for p in entry.postings) == [-990000, -10000, 1000000]
    assert savings(services, member) == kes(60000 + 9900)
    assert [d.decision for d in session.query(LoanDecision).filter_by(loan_id=loan.id)] == [
        "applied", "approved", "disbursed"]
    assert services.loans.apply_for(member, biz, kes(10000), 6, idempotency_key="k1") is loan
    assert verify_ledger(session) == []


def test_the_payout_sms_names_the_loan_and_its_fee_not_only_what_was_received(services, session):
    """Issue 16: "paid out" said KES 9,900 alone; the member is told the loan, the fee and the net."""
    from app.notifications.models import Notification

    loan = services.loans.apply_for(new_saver(services), product(services), kes(10000), 6, idempotency_key="n",
                                    destination="savings")
    notice = session.query(Notification).filter_by(member_id=loan.member_id, kind="loan_disbursed").one()
    assert notice.text.startswith("Pamoja: your loan of KES 10,000 is paid out, fee KES 100: you get KES 9,900. "
                                  "First repayment due ")
    assert len(notice.text) <= 160
