"""Savings groups (chamas, VSLAs): members save together, track arrears and rotate payouts.

Tables (models.py): `groups` (name, 6-digit join code, currency, contribution,
weekly/monthly frequency and meeting day, optional late fine, payout order on/off),
`group_members` (role chair/treasurer/secretary/member, status
pending/active/declined/left, payout position), `group_contributions` (one row per
period a contribution covers, naming its ledger entry or payment, late or not),
`group_fines` (one per member and period) and `group_payouts` (one per group and period).

Money: every contribution, fine and payout is one balanced ledger entry; the group's
pool and each member's share are ledger accounts (postings.py explains the four-posting
contribution entry and its share-register contra). The rows here say which period the
money was for, so arrears are `contribution - paid` per member per passed period.

Periods (periods.py): ISO weeks (`2026-W48`) or months (`2026-12`), due on the meeting
day; contributions fill the oldest unpaid period first.

Collaborators, each with its dependencies in its constructor and wired in
app/services.py (the composition root); none knows Flask or channels, every refusal
is a GroupError with a translated `message`, and callers commit once:
- limits.py         ContributionLimits: the per-transaction limit of a group amount
- membership.py     Memberships: create, join by code, approve/decline, roles, leave
- contributions.py  Contributions: contributions from any source (savings, mobile money,
                    an agent's float), balances, history
- arrears.py        Arrears: what each member owes per period
- fines.py          Fines: late fines, charged from savings; officials set the fine
- payouts.py        Payouts: the merry-go-round payout order, each period's payout, and the
                    scheduler's proposals of due payouts to officials (tasks.py)
- leaving.py        Leaving: the rules for leaving and the share given back
- share_out.py      ShareOut: the end of a cycle, the pool given back to the members
- splits.py         split_by_weights: the one remainder rule of every split of group money
"""
