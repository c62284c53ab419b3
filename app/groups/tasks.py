"""The groups' recurring jobs, enqueued by the scheduler (app/scheduler): late fines and payout proposals.

Both act "as of now" and are safe to run twice: a fine is unique per member and
period, a proposal is one notification per group, period and official.
"""

from app.jobs import job


@job
def apply_group_fines(services):
    """Fine every member who missed their group's last meeting (app/groups/fines.py); returns how many fines."""
    return len(services.group_fines.apply_due_fines())


@job
def propose_group_payouts(services):
    """Ask each group's officials to confirm its due payout with their PIN; returns how many were proposed."""
    return len(services.group_payouts.propose_due_payouts())
