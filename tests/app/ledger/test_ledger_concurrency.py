"""Many sessions withdrawing from one account at once: no overdraft, no double posting.

Runs committed, on real connections from threads; owners are unique per run so the
rows never collide with other tests, and the ledger stays balanced for the final verify.
"""

import uuid

import pytest
from sqlalchemy.orm import sessionmaker

from app.clock import SystemClock
from app.extensions import db
from app.ledger.errors import InsufficientFunds
from app.ledger.services import LedgerService
from app.ledger.verify import verify_ledger
from app.money import Money
from tests.concurrency_helpers import run_in_threads

AUDIT = {"initiated_by": "system", "channel": "system"}
THREADS = 12


@pytest.mark.committed
def test_concurrent_withdrawals_never_overdraw(app):
    make_session = sessionmaker(bind=db.engine)
    owner = uuid.uuid4().int % 10**15
    with make_session() as session:
        ledger = LedgerService(session, clock=SystemClock())
        savings = ledger.account("member", owner, "member_savings", "KES")
        clearing = ledger.clearing_account(f"conc{owner}", "KES")
        ledger.post(f"conc:{owner}:fund", [(clearing, Money(500, "KES")), (savings, Money(-500, "KES"))],
                    kind="deposit", **AUDIT)
        session.commit()
        savings_id, clearing_id = savings.id, clearing.id

    def withdraw(index):
        with make_session() as session:
            ledger = LedgerService(session, clock=SystemClock())
            from app.ledger.models import LedgerAccount

            account, payout = session.get(LedgerAccount, savings_id), session.get(LedgerAccount, clearing_id)
            try:
                ledger.post(f"conc:{owner}:wd:{index}", [(account, Money(100, "KES")), (payout, Money(-100, "KES"))],
                            kind="withdrawal", **AUDIT)
                session.commit()
                return "ok"
            except InsufficientFunds:
                session.rollback()
                return "refused"

    results = run_in_threads(withdraw, THREADS)
    assert results.count("ok") == 5 and results.count("refused") == THREADS - 5

    with make_session() as session:
        ledger = LedgerService(session, clock=SystemClock())
        from app.ledger.models import LedgerAccount

        assert ledger.balance(session.get(LedgerAccount, savings_id)) == Money(0, "KES")
        assert verify_ledger(session) == []


@pytest.mark.committed
def test_concurrent_posts_with_one_key_post_once(app):
    make_session = sessionmaker(bind=db.engine)
    owner = uuid.uuid4().int % 10**15
    key = f"conc:{owner}:same"

    def post(index):
        with make_session() as session:
            ledger = LedgerService(session, clock=SystemClock())
            savings = ledger.account("member", owner, "member_savings", "KES")
            clearing = ledger.clearing_account(f"conc{owner}", "KES")
            entry = ledger.post(key, [(clearing, Money(100, "KES")), (savings, Money(-100, "KES"))],
                                kind="deposit", **AUDIT)
            session.commit()
            return entry.id

    entry_ids = run_in_threads(post, THREADS)
    assert len(set(entry_ids)) == 1 and None not in entry_ids
    with make_session() as session:
        ledger = LedgerService(session, clock=SystemClock())
        assert ledger.balance(ledger.account("member", owner, "member_savings", "KES")) == Money(100, "KES")
