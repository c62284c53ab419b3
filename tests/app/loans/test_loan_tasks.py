"""The daily `age_loans` job (app/loans/tasks.py), run as the worker runs it, on real PostgreSQL."""

from app.loans.tasks import age_loans
from app.payments.providers.base import ProviderResult
from tests.app.loans.loan_helpers import loan_services, new_saver, product
from tests.money_helpers import kes


def test_age_loans_reverts_failed_payouts_then_charges_each_penalty_once(app, session):
    services = loan_services(app)
    biz = product(services)
    on_books = services.loans.apply_for(new_saver(services), biz, kes(10000), 6, idempotency_key="t1",
                                        destination="savings")
    failed = services.loans.apply_for(new_saver(services), biz, kes(10000), 6, idempotency_key="t2",
                                      destination="mobile_money")
    payment = services.payments.get(failed.disbursement_payment_id)
    result = ProviderResult("failed", payment.reference, "insufficient_funds", None, None, None, {})
    services.payments.apply_result(result, "callback", provider=payment.provider, payment_id=payment.id)
    session.commit()

    assert age_loans("2026-03-05") == {"loans": 1, "overdue": 1, "penalties": 1}  # 5 days late, 3 of grace
    session.expire_all()
    assert failed.state == "approved" and services.loans.schedule(failed) == []
    assert services.ledger.balance(services.loans.accounts.penalty(on_books)) == kes(86)

    assert age_loans("2026-03-05") == {"loans": 1, "overdue": 1, "penalties": 0}  # the same day again
    assert services.ledger.balance(services.loans.accounts.penalty(on_books)) == kes(86)
