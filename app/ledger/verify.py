"""Recheck every ledger invariant over the whole database, independently of the service.

Each check is one SQL query answering the offending rows, so the report names
them; an empty list means the ledger is sound. Run by `flask ledger verify` and
at the end of the test suite.
"""

from sqlalchemy import text

CHECKS = {
    "entry does not sum to zero": """
        SELECT e.id, e.idempotency_key, COALESCE(SUM(p.amount), 0)
        FROM ledger_entries e LEFT JOIN ledger_postings p ON p.entry_id = e.id
        GROUP BY e.id HAVING COALESCE(SUM(p.amount), 0) <> 0""",
    "entry has fewer than two postings": """
        SELECT e.id, e.idempotency_key, COUNT(p.id)
        FROM ledger_entries e LEFT JOIN ledger_postings p ON p.entry_id = e.id
        GROUP BY e.id HAVING COUNT(p.id) < 2""",
    "entry mixes currencies": """
        SELECT p.entry_id, STRING_AGG(DISTINCT a.currency, ',')
        FROM ledger_postings p JOIN ledger_accounts a ON a.id = p.account_id
        GROUP BY p.entry_id HAVING COUNT(DISTINCT a.currency) > 1""",
    "posting of zero": """
        SELECT id, entry_id FROM ledger_postings WHERE amount = 0""",
    "cached balance differs from the sum of postings": """
        WITH cached AS (
            SELECT a.id, a.kind, a.balance + COALESCE((SELECT SUM(s.balance) FROM ledger_account_shards s
                                                       WHERE s.account_id = a.id), 0) AS balance
            FROM ledger_accounts a)
        SELECT c.id, c.kind, c.balance, COALESCE(SUM(p.amount), 0)
        FROM cached c LEFT JOIN ledger_postings p ON p.account_id = c.id
        GROUP BY c.id, c.kind, c.balance HAVING c.balance <> COALESCE(SUM(p.amount), 0)""",
    "forbidden negative balance": """
        SELECT a.id, a.kind, (a.balance + COALESCE((SELECT SUM(s.balance) FROM ledger_account_shards s
                                                    WHERE s.account_id = a.id), 0)) * a.normal_sign AS natural
        FROM ledger_accounts a WHERE NOT a.allow_negative
          AND (a.balance + COALESCE((SELECT SUM(s.balance) FROM ledger_account_shards s
                                     WHERE s.account_id = a.id), 0)) * a.normal_sign < 0""",
    "shard disagrees with its account": """
        SELECT s.account_id, s.shard FROM ledger_account_shards s JOIN ledger_accounts a ON a.id = s.account_id
        WHERE s.shard >= a.shards OR s.normal_sign <> a.normal_sign OR s.allow_negative <> a.allow_negative""",
    "duplicate idempotency key": """
        SELECT idempotency_key, COUNT(*) FROM ledger_entries GROUP BY idempotency_key HAVING COUNT(*) > 1""",
}
"""Invariant name -> query returning the rows that break it."""


def verify_ledger(session):
    """Return a list of readable problems; empty when every invariant holds."""
    problems = []
    for name, query in CHECKS.items():
        for row in session.execute(text(query)):
            problems.append(f"{name}: {', '.join(str(value) for value in row)}")
    return problems
