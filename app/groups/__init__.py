"""Savings groups (chamas, VSLAs): members save together, track arrears and rotate payouts.

Tables (models.py): `groups` (name, 6-character join code, currency, contribution,
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
"""
