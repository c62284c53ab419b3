"""The alert service: load recent history, apply the rules, record each new alert once.

Reads only, apart from the alerts it inserts: no lock, no write on any money table,
so a scan never slows or blocks a deposit, withdrawal or transfer. Triggers are the
movements out of member savings (and the agents' transactions) in [since, until];
for the members concerned the history goes back the longest rule window before
`since`. Alerts are inserted with ON CONFLICT DO NOTHING on the rule's unique key,
so concurrent or repeated scans raise each alert once. The caller commits.

Each new alert is also a work item for the `compliance` role (issue 14: alerts reach
people, never only a row), and compliance closes an alert with a reason (`close`),
which closes its work item too. Alerts never hold money.
"""

from datetime import datetime, time, timedelta
from typing import NamedTuple

from sqlalchemy import func, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import aliased

from app.agents.models import AgentTransaction
from app.alerts import rules
from app.alerts.models import CLOSED, OPEN, SecurityAlert
from app.ledger.models import LedgerAccount, LedgerEntry, LedgerPosting
from app.members.models import Member
from app.observability import log_event
from app.savings.limits import limits_for, parse_overrides

SAVINGS = "member_savings"


class ScanResult(NamedTuple):
    since: datetime
    until: datetime
    hits: int
    raised: list
    """The SecurityAlert rows this scan created (earlier ones are not raised again)."""


COMPLIANCE = "compliance"


class AlertClosed(Exception):
    """The alert is unknown or already closed."""


class AlertService:
    def __init__(self, session, *, clock, config, settings, staff=None, audit=None, work_queue=None):
        self.session = session
        self.clock = clock
        self.staff, self.audit, self.work_queue = staff, audit, work_queue
        self.settings = rules.Settings.from_settings(settings)
        self.lookback = timedelta(minutes=settings.ALERT_SCAN_LOOKBACK_MINUTES)
        self.limit_overrides = parse_overrides(config.get("SAVINGS_LIMITS", ""))

    def scan(self, since=None, until=None):
        """Apply every rule to what happened in [since, until] (default: the configured lookback up to now)."""
        until = until or self.clock.now()
        since = since or until - self.lookback
        hits = self._member_hits(since, until) + self._agent_hits(since, until)
        raised = self._record(hits)
        for alert in raised:
            self._to_compliance(alert)
        return ScanResult(since, until, len(hits), raised)

    def _to_compliance(self, alert):
        if self.work_queue is not None:
            self.work_queue.open("security_alert", ("security_alert", alert.id), COMPLIANCE,
                                 summary=f"{alert.rule} {alert.subject_type}:{alert.subject_id} ({alert.window_key})",
                                 dedupe_key=f"security_alert:{alert.id}", details={"rule": alert.rule})

    def close(self, actor, alert_id, reason):
        """Compliance closes an alert with what was found (alerts.work); its work item closes with it."""
        from app.audit.services import require_reason
        from app.staff.models import OPEN as ITEM_OPEN
        from app.staff.models import WorkItem

        require_reason("alerts.close", reason)
        self.staff.require(actor, "alerts.work")
        alert = self.session.scalar(select(SecurityAlert).where(SecurityAlert.id == alert_id).with_for_update())
        if alert is None or alert.status != OPEN:
            raise AlertClosed(f"alert #{alert_id} is unknown or already closed")
        alert.status = CLOSED
        self.audit.record(actor, "alerts.close", ("security_alert", alert.id), before={"status": OPEN},
                          after={"status": CLOSED}, reason=reason)
        item = self.session.scalar(select(WorkItem).where(WorkItem.dedupe_key == f"security_alert:{alert.id}",
                                                          WorkItem.status == ITEM_OPEN))
        if item is not None:
            self.work_queue.close(actor, item.id, reason)
        return alert

    def list(self, status=OPEN, limit=50):
        """Alerts newest first, of one status (None = all)."""
        query = select(SecurityAlert).order_by(SecurityAlert.id.desc()).limit(limit)
        if status is not None:
            query = query.where(SecurityAlert.status == status)
        return list(self.session.scalars(query))

    # -- members ------------------------------------------------------------------------------------

    def _member_hits(self, since, until):
        member_ids = list(self.session.scalars(
            select(LedgerAccount.owner_id).distinct()
            .join(LedgerPosting, LedgerPosting.account_id == LedgerAccount.id)
            .join(LedgerEntry, LedgerEntry.id == LedgerPosting.entry_id)
            .where(LedgerAccount.owner_type == "member", LedgerAccount.kind == SAVINGS,
                   LedgerEntry.created_at >= since, LedgerEntry.created_at <= until,
                   LedgerEntry.kind.in_(rules.MONEY_OUT), LedgerPosting.amount > 0)))
        if not member_ids:
            return []
        movements = self._movements(member_ids, since - self.settings.lookback, until)
        changes = self._changes(member_ids, since - self.settings.change_window)
        hits = []
        for member_id in member_ids:
            history = movements.get(member_id, [])
            hits += rules.structuring(member_id, history, since, self._per_transaction_limit, self.settings)
            hits += rules.pass_through(member_id, history, since, self.settings)
            hits += rules.change_then_money_out(member_id, changes.get(member_id, []), history, since, self.settings)
        return hits

    def _movements(self, member_ids, start, until):
        """member id -> its savings Movements in [start, until], oldest first, fees taken out of money out."""
        fee_account, fee_posting = aliased(LedgerAccount), aliased(LedgerPosting)
        fee_credit = (select(func.coalesce(func.sum(fee_posting.amount), 0))
                      .join(fee_account, fee_account.id == fee_posting.account_id)
                      .where(fee_posting.entry_id == LedgerEntry.id, fee_account.kind == "fee_income")
                      .scalar_subquery())
        rows = self.session.execute(
            select(LedgerEntry.id, LedgerAccount.owner_id, LedgerEntry.created_at, LedgerEntry.kind,
                   LedgerPosting.amount, LedgerAccount.currency, fee_credit)
            .join(LedgerPosting, LedgerPosting.entry_id == LedgerEntry.id)
            .join(LedgerAccount, LedgerAccount.id == LedgerPosting.account_id)
            .where(LedgerAccount.owner_type == "member", LedgerAccount.kind == SAVINGS,
                   LedgerAccount.owner_id.in_(member_ids),
                   LedgerEntry.created_at >= start, LedgerEntry.created_at <= until,
                   LedgerEntry.kind.in_(rules.MONEY_IN | rules.MONEY_OUT))
            .order_by(LedgerEntry.created_at, LedgerEntry.id))
        movements = {}
        for entry_id, member_id, at, kind, posting, currency, fee in rows:
            # Savings are credit-normal: a debit (+) takes money out, a credit (-) brings it in.
            amount = -(posting + int(fee)) if posting > 0 else -posting  # sum() of bigints is numeric
            movements.setdefault(member_id, []).append(rules.Movement(entry_id, member_id, at, kind, amount, currency))
        return movements

    def _changes(self, member_ids, start):
        """member id -> its PIN and phone changes since `start`."""
        changes = {}
        rows = self.session.execute(select(Member.id, Member.pin_changed_at, Member.phone_changed_at)
                                    .where(Member.id.in_(member_ids)))
        for member_id, pin_at, phone_at in rows:
            for kind, at in (("pin", pin_at), ("phone", phone_at)):
                if at is not None and at >= start:
                    changes.setdefault(member_id, []).append(rules.Change(member_id, kind, at))
        return changes

    def _per_transaction_limit(self, currency):
        try:
            return limits_for(currency, self.limit_overrides).per_transaction.minor
        except KeyError:  # a currency Pamoja does not serve has no limit to stay under
            return float("inf")

    # -- agents -------------------------------------------------------------------------------------

    def _agent_hits(self, since, until):
        day_start = datetime.combine(since.astimezone(self.clock.zone).date(), time.min, tzinfo=self.clock.zone)
        pairs = (select(AgentTransaction.agent_id, AgentTransaction.member_id)
                 .where(AgentTransaction.created_at >= since, AgentTransaction.created_at <= until))
        rows = self.session.execute(
            select(AgentTransaction.id, AgentTransaction.agent_id, AgentTransaction.member_id,
                   AgentTransaction.created_at, AgentTransaction.kind, AgentTransaction.amount_minor,
                   AgentTransaction.currency)
            .where(AgentTransaction.created_at >= day_start, AgentTransaction.created_at <= until,
                   tuple_(AgentTransaction.agent_id, AgentTransaction.member_id).in_(pairs))
            .order_by(AgentTransaction.created_at, AgentTransaction.id))
        by_agent = {}
        for row in rows:
            by_agent.setdefault(row.agent_id, []).append(rules.AgentTransaction(*row))
        hits = []
        for agent_id, transactions in by_agent.items():
            hits += rules.agent_member_volume(agent_id, transactions, since, self.clock.zone, self.settings)
        return hits

    # -- recording ----------------------------------------------------------------------------------

    def _record(self, hits):
        """Insert each hit not raised before; return the new rows."""
        if not hits:
            return []
        now = self.clock.now()
        ids = list(self.session.scalars(
            insert(SecurityAlert)
            .values([{"rule": hit.rule, "subject_type": hit.subject_type, "subject_id": hit.subject_id,
                      "window_key": hit.window_key, "evidence": hit.evidence, "status": OPEN, "created_at": now}
                     for hit in hits])
            .on_conflict_do_nothing(constraint="uq_security_alerts_rule")
            .returning(SecurityAlert.id)))
        raised = list(self.session.scalars(select(SecurityAlert).where(SecurityAlert.id.in_(ids))
                                           .order_by(SecurityAlert.id))) if ids else []
        for alert in raised:
            log_event("alert.raised", alert=alert.id, rule=alert.rule,
                      subject=f"{alert.subject_type}:{alert.subject_id}", window=alert.window_key)
        return raised
