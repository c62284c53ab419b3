"""The reference a member is given for a money movement: one per ledger entry ("PJ1234").

Every movement is exactly one ledger entry, so the entry's id names it for the member,
the agent and the branch alike (a member quoting it lets staff find the entry at once).
Confirmation messages carry it; a statement line can be matched to it.
"""

PREFIX = "PJ"


def entry_reference(entry_id):
    """`1234` -> `"PJ1234"`."""
    return f"{PREFIX}{entry_id}"
