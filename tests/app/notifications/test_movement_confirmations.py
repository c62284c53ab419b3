"""Issue 16 (1), the class: every money movement ends with ONE confirmation that says the amount, the
movement's reference and, where the money is now the member's, the new balance.

The per-path tests (one SMS per movement, on every channel) are next to each path: payments
(tests/app/payments/test_payment_confirmations.py), agents (tests/app/agents/test_agent_collections.py),
transfers and group payouts. This one holds every confirmation kind to the shape.
"""

import pytest

from app.notifications.kinds import KINDS, MOVEMENT_CONFIRMATIONS

INTO_THEIR_BALANCE = {"deposit_received", "withdrawal_sent", "transfer_sent", "transfer_received", "group_payout",
                      "repayment_received", "float_topped_up", "payment_refunded", "payment_recovered",
                      "correction_credit", "correction_debit"}
"""Movements that change a balance of the member's own (savings, loan, float)."""


@pytest.mark.parametrize("kind", sorted(MOVEMENT_CONFIRMATIONS))
def test_each_confirmation_says_amount_and_reference(kind):
    text = KINDS[kind].msgid
    assert "{amount}" in text, kind
    assert "{ref}" in text or "{receipt}" in text, kind
    if kind in INTO_THEIR_BALANCE:
        assert "{balance}" in text or "{float}" in text, kind
    if kind == "agent_receipt":
        assert "{after}" in text  # the savings or loan balance, or the group (app/agents/cash.py)
