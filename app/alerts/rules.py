"""The velocity rules as pure functions of what happened: no database, no clock, no config reads.

Each rule looks at one subject's recent history and returns `Hit`s for the moments
in the scan (at or after `since`) that complete its pattern; the alert service turns
hits into rows. A hit names its window with a key that depends only on the history,
never on when or how often the scan runs, so re-runs and overlapping scans produce
the same keys (and the unique index keeps one row per key):

- sliding-window rules (structuring, pass-through) key by the fixed, epoch-aligned
  window of the movement that completed the pattern (`bucket_key`): a pattern that
  keeps going raises at most one alert per window length;
- a change followed by money out keys by the change itself (one alert per change);
- an agent's volume for a member keys by the local day and the member.

Amounts are integer minor units. A movement's amount is signed from the member's
side (+ in, - out) and excludes the fee: the per-transaction limit applies to the
amount, so a fee must not push a movement into the "just under the limit" band.
"""

from datetime import UTC, datetime, timedelta
from typing import NamedTuple

STRUCTURING = "structuring"
PASS_THROUGH = "pass_through"
CHANGE_THEN_MONEY_OUT = "change_then_money_out"
AGENT_MEMBER_VOLUME = "agent_member_volume"
RULES = (STRUCTURING, PASS_THROUGH, CHANGE_THEN_MONEY_OUT, AGENT_MEMBER_VOLUME)

MONEY_OUT = frozenset({"withdrawal_reserve", "transfer"})
"""Ledger entry kinds that take money out of a member's savings to someone else (a refund is not one)."""
MONEY_IN = frozenset({"deposit", "cash_deposit", "transfer", "loan_disbursement", "group_payout"})
"""Ledger entry kinds that bring money into a member's savings from outside it (pledge releases do not)."""
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Settings(NamedTuple):
    """Every window and threshold of the rules, from configuration (app/config.py ALERT_*)."""

    structuring_count: int
    structuring_margin_percent: int
    structuring_window: timedelta
    pass_through_percent: int
    pass_through_window: timedelta
    change_window: timedelta
    agent_member_max_per_day: int

    @classmethod
    def from_settings(cls, settings):
        """The rules' thresholds from the app's typed settings (app/settings.py)."""
        return cls(
            structuring_count=settings.ALERT_STRUCTURING_COUNT,
            structuring_margin_percent=settings.ALERT_STRUCTURING_MARGIN_PERCENT,
            structuring_window=timedelta(hours=settings.ALERT_STRUCTURING_WINDOW_HOURS),
            pass_through_percent=settings.ALERT_PASS_THROUGH_PERCENT,
            pass_through_window=timedelta(minutes=settings.ALERT_PASS_THROUGH_WINDOW_MINUTES),
            change_window=timedelta(hours=settings.ALERT_CHANGE_WINDOW_HOURS),
            agent_member_max_per_day=settings.ALERT_AGENT_MEMBER_MAX_PER_DAY,
        )

    @property
    def lookback(self):
        """How far before a scan's start a rule may need history (the longest window)."""
        return max(self.structuring_window, self.pass_through_window, self.change_window, timedelta(days=1))


class Movement(NamedTuple):
    """One ledger entry's effect on one member's savings."""

    entry_id: int
    member_id: int
    at: datetime
    kind: str
    amount: int
    """Minor units, fee excluded, + into savings, - out of them."""
    currency: str

    @property
    def is_out(self):
        return self.amount < 0 and self.kind in MONEY_OUT

    @property
    def is_in(self):
        return self.amount > 0 and self.kind in MONEY_IN

    def evidence(self):
        return {"entry_id": self.entry_id, "at": self.at.isoformat(), "kind": self.kind,
                "amount_minor": self.amount, "currency": self.currency}


class Change(NamedTuple):
    """A credential change of a member: `pin` (changed or reset) or `phone`."""

    member_id: int
    kind: str
    at: datetime


class AgentTransaction(NamedTuple):
    id: int
    agent_id: int
    member_id: int
    at: datetime
    kind: str
    amount: int
    currency: str


class Hit(NamedTuple):
    rule: str
    subject_type: str
    subject_id: int
    window_key: str
    evidence: dict


def bucket_key(at, window):
    """The start (UTC, ISO) of the fixed window of length `window`, aligned to the epoch, holding `at`."""
    seconds = int(window.total_seconds())
    start = int((at - EPOCH).total_seconds()) // seconds * seconds
    return (EPOCH + timedelta(seconds=start)).isoformat()


def once_per_key(hits):
    """The first hit of each key, in order: later moments of the same window add nothing."""
    seen, kept = set(), []
    for hit in hits:
        key = (hit.rule, hit.subject_type, hit.subject_id, hit.window_key)
        if key not in seen:
            seen.add(key)
            kept.append(hit)
    return kept


def structuring(member_id, movements, since, limit_of, settings):
    """`structuring_count` or more money-out movements within the margin under the per-transaction limit.

    `movements` are one member's, oldest first; `limit_of(currency)` is the
    per-transaction limit in minor units.
    """
    near = [m for m in movements if m.is_out and
            -m.amount * 100 >= limit_of(m.currency) * (100 - settings.structuring_margin_percent)]
    hits = []
    for last in near:
        if last.at < since:
            continue
        window = [m for m in near if last.at - settings.structuring_window < m.at <= last.at]
        if len(window) >= settings.structuring_count:
            hits.append(Hit(STRUCTURING, "member", member_id, bucket_key(last.at, settings.structuring_window), {
                "window_hours": settings.structuring_window.total_seconds() / 3600,
                "threshold_count": settings.structuring_count,
                "margin_percent": settings.structuring_margin_percent,
                "limit_minor": limit_of(last.currency), "currency": last.currency,
                "movements": [m.evidence() for m in window]}))
    return once_per_key(hits)


def pass_through(member_id, movements, since, settings):
    """Money in, then more than `pass_through_percent` of it out, all within the window."""
    hits = []
    for last in movements:
        if last.at < since or not last.is_out:
            continue
        start = last.at - settings.pass_through_window
        ins = [m for m in movements if m.is_in and start <= m.at <= last.at]
        if not ins:
            continue
        first_in = ins[0].at
        outs = [m for m in movements if m.is_out and first_in <= m.at <= last.at and m.entry_id <= last.entry_id]
        money_in, money_out = sum(m.amount for m in ins), -sum(m.amount for m in outs)
        if money_out * 100 > money_in * settings.pass_through_percent:
            hits.append(Hit(PASS_THROUGH, "member", member_id, bucket_key(last.at, settings.pass_through_window), {
                "window_minutes": settings.pass_through_window.total_seconds() / 60,
                "threshold_percent": settings.pass_through_percent,
                "in_minor": money_in, "out_minor": money_out, "currency": last.currency,
                "movements": [m.evidence() for m in sorted(ins + outs, key=lambda m: (m.at, m.entry_id))]}))
    return once_per_key(hits)


def change_then_money_out(member_id, changes, movements, since, settings):
    """Money out within `change_window` after a PIN change/reset or a phone-number change."""
    hits = []
    for change in changes:
        outs = [m for m in movements if m.is_out and change.at <= m.at <= change.at + settings.change_window]
        if outs and any(m.at >= since for m in outs):
            hits.append(Hit(CHANGE_THEN_MONEY_OUT, "member", member_id, f"{change.kind}:{change.at.isoformat()}", {
                "window_hours": settings.change_window.total_seconds() / 3600,
                "change": change.kind, "changed_at": change.at.isoformat(),
                "movements": [m.evidence() for m in outs]}))
    return once_per_key(hits)


def agent_member_volume(agent_id, transactions, since, zone, settings):
    """More than `agent_member_max_per_day` transactions by one agent for one member in a local day."""
    days = {}
    for transaction in transactions:
        day = transaction.at.astimezone(zone).date()
        days.setdefault((day, transaction.member_id), []).append(transaction)
    hits = []
    for (day, member_id), rows in sorted(days.items()):
        if len(rows) > settings.agent_member_max_per_day and any(row.at >= since for row in rows):
            hits.append(Hit(AGENT_MEMBER_VOLUME, "agent", agent_id, f"{day.isoformat()}:member:{member_id}", {
                "day": day.isoformat(), "member_id": member_id, "count": len(rows),
                "threshold_count": settings.agent_member_max_per_day,
                "transactions": [{"id": row.id, "at": row.at.isoformat(), "kind": row.kind,
                                  "amount_minor": row.amount, "currency": row.currency} for row in rows]}))
    return hits
