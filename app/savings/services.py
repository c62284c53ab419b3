"""The savings service: balances, statements, deposits, withdrawals and transfers of a member.

Deposits and withdrawals go through the payments service (the ledger posts a deposit
only when the operator confirms; a withdrawal reserves amount + fee at once). A
transfer between members is one ledger entry. Limit and balance checks run after
locking the member's savings row (a transfer locks sender and recipient together, in
the ledger's lock order, so opposite transfers cannot deadlock), so two sessions of
one member are serialised and cannot both pass a limit. Available balance = member_savings (pledged money lives in
guarantee_pledged; see app/ledger). The member's KYC tier limits (balance, daily in and out) are asked of
`KycLimits` (app/members/kyc/limits.py) by the same checks the amount screens call (`check_deposit`,
`check_withdrawal`, `check_transfer`), so a refusal comes before any confirmation. Callers commit.
"""

from datetime import datetime, time
from typing import NamedTuple

from sqlalchemy import func, select

from app.i18n import N_, T, Text
from app.ledger.errors import IdempotencyConflict, InsufficientFunds
from app.ledger.models import LedgerEntry, LedgerPosting
from app.ledger.references import entry_reference
from app.members.names import short_name
from app.money import Money
from app.notifications.kinds import KINDS
from app.payments.errors import IdempotencyConflict as PaymentConflict
from app.phones import InvalidPhone, normalize_phone
from app.savings import errors, fees
from app.savings.limits import limits_for, parse_overrides

MOVEMENT_LABELS = {
    "deposit": N_("Deposit"),
    "withdrawal": N_("Withdrawal"),
    "withdrawal_reserve": N_("Withdrawal"),
    "withdrawal_release": N_("Withdrawal refund"),
    "transfer": N_("Transfer"),
    "contribution": N_("Contribution"),
    "loan_repayment": N_("Loan repayment"),
    "loan_disbursement": N_("Loan"),
    "loan_recovery": N_("Loan recovery"),
    "cash_deposit": N_("Cash deposit"),
    "group_payout": N_("Group payout"),
    "group_fine": N_("Group fine"),
    "group_refund": N_("Group refund"),
    "group_share_out": N_("Group share-out"),
    "guarantee_pledge": N_("Loan guarantee"),
    "guarantee_release": N_("Guarantee released"),
}
"""Ledger entry kind / payment purpose -> what the member reads on a statement."""

OTHER = N_("Other")
SENT_TO = N_("Sent to {name}")
RECEIVED_FROM = N_("Received from {name}")
"""A transfer's line names its direction and the other member (first name and initial)."""
PURPOSE_SIGNS = {"deposit": 1, "loan_disbursement": 1, "withdrawal": -1, "contribution": -1, "loan_repayment": -1}
"""Payment purpose -> +1 when money comes to the member, -1 when it leaves them (history rows)."""
DIRECTION_SIGNS = {"collection": -1, "disbursement": 1}
"""For a purpose not listed above: a collection takes the member's money, a disbursement pays them."""
OUTFLOW_KINDS = ("withdrawal_reserve", "transfer", "withdrawal_release")
"""Entry kinds that count against the daily limit (a release gives back its reservation)."""


class StatementRow(NamedTuple):
    date: object
    kind: object
    amount: Money


class HistoryRow(NamedTuple):
    when: datetime
    kind: object
    amount: Money
    state: str


def label(kind):
    return T(MOVEMENT_LABELS.get(kind, OTHER))


def transfer_label(amount, other_name):
    """"Sent to Jane W." for money out, "Received from Jane W." for money in; "Transfer" if the other is gone."""
    if not other_name:
        return label("transfer")
    return T(SENT_TO if amount.minor < 0 else RECEIVED_FROM, name=other_name)


def payment_amount_for_member(payment):
    """The payment's amount, negative when the money left the member."""
    sign = PURPOSE_SIGNS.get(payment.purpose, DIRECTION_SIGNS.get(payment.direction, 1))
    return payment.amount if sign > 0 else -payment.amount


class SavingsService:
    def __init__(self, session, *, clock, ledger, payments, config, members, kyc_limits, notify=None,
                 statements=None):
        self.session = session
        self.clock = clock
        self.ledger = ledger
        self.statements = statements or ledger
        """The ledger's reads for statements: on the read replica when there is one (app/replica.py)."""
        self.payments = payments
        self.config = config
        self.members = members
        self.kyc_limits = kyc_limits
        self.notify = notify or (lambda *args, **kwargs: None)
        self.limit_overrides = parse_overrides(config.get("SAVINGS_LIMITS", ""))

    def account_for(self, member):
        return self.ledger.account("member", member.id, "member_savings", member.currency)

    def pledged_account(self, member):
        return self.ledger.account("member", member.id, "guarantee_pledged", member.currency)

    def balance(self, member):
        """What the member may spend: savings not pledged as a guarantee."""
        return self.ledger.balance(self.account_for(member))

    def check_covers(self, member, amount):
        """Raise InsufficientBalance when the member's spendable savings cannot pay `amount` (a repayment or a
        contribution from savings, asked where the member chooses savings, before the confirmation).

        A read, nothing locked: the movement itself is refused by the ledger under its locks.
        """
        available = self.balance(member)
        if available < amount:
            raise errors.InsufficientBalance(available, amount)

    def total(self, member):
        """All the member's savings, pledged included."""
        return self.balance(member) + self.ledger.balance(self.pledged_account(member))

    def statement(self, member, limit=5):
        """The last movements, newest first: StatementRow(date, kind Text, signed Money).

        A transfer says its direction and the other member ("Received from Baraka M.").
        """
        account = self.account_for(member)
        lines = self.statements.statement(account, limit)
        others = self._transfer_counterparts(account, [line.entry_id for line in lines if line.kind == "transfer"])
        return [StatementRow(line.created_at.astimezone(self.clock.zone).date(),
                             transfer_label(line.amount, others.get(line.entry_id)) if line.kind == "transfer"
                             else label(line.kind), line.amount)
                for line in lines]

    def _transfer_counterparts(self, account, entry_ids):
        """{transfer entry id: the other member's short name}, in one query."""
        if not entry_ids:
            return {}
        from app.ledger.models import LedgerAccount
        from app.members.models import Member

        rows = self.statements.session.execute(
            select(LedgerPosting.entry_id, Member.name)
            .join(LedgerAccount, LedgerAccount.id == LedgerPosting.account_id)
            .join(Member, Member.id == LedgerAccount.owner_id)
            .where(LedgerPosting.entry_id.in_(entry_ids), LedgerAccount.owner_type == "member",
                   LedgerAccount.kind == "member_savings", LedgerAccount.id != account.id))
        return {entry_id: short_name(name) for entry_id, name in rows}

    def withdrawal_fee(self, amount):
        return fees.withdrawal_fee(amount)

    def transfer_fee(self, amount):
        return fees.transfer_fee(amount)

    def check_amount(self, member, amount):
        """Raise BelowMinimum / AboveTransactionLimit for an amount outside the currency's limits."""
        limits = limits_for(member.currency, self.limit_overrides)
        if amount.currency != member.currency or amount < limits.minimum:
            raise errors.BelowMinimum(limits.minimum)
        if amount > limits.per_transaction:
            raise errors.AboveTransactionLimit(limits.per_transaction)
        return limits

    def check_deposit(self, member, amount):
        """Raise for a deposit the currency's limits or the member's KYC tier refuse (balance, daily in).

        Asked when the deposit starts; the operator's confirmation is credited whatever the limits then.
        """
        self.check_amount(member, amount)
        self._kyc(self.kyc_limits.refuse_in(member, amount))

    def deposit(self, member, amount, idempotency_key, *, channel, session_ref=None):
        """Ask the member's mobile money for `amount`; savings grow when the operator confirms."""
        existing = self._replayed_payment(idempotency_key, member, "collection", "deposit", amount)
        if existing is not None:
            return existing
        self.check_deposit(member, amount)
        return self.payments.start(idempotency_key, member, "collection", "deposit", amount, member.phone,
                                   initiated_by=f"member:{member.id}", channel=channel, session_ref=session_ref)

    def check_withdrawal(self, member, amount):
        """The fee of withdrawing `amount`, or raise: limits, daily limit, balance for amount + fee.

        Locks the member's savings (a withdrawal touches no other holder account), so the
        checks hold until the caller commits.
        """
        fee = self.withdrawal_fee(amount)
        self._check_outflow(member, amount, fee, self.ledger.lock([self.account_for(member)])[0])
        return fee

    def withdraw(self, member, amount, idempotency_key, *, channel, session_ref=None):
        """Reserve amount + fee and send `amount` to the member's mobile money; returns the Payment."""
        existing = self._replayed_payment(idempotency_key, member, "disbursement", "withdrawal", amount,
                                          fee=self.withdrawal_fee(amount))
        if existing is not None:
            return existing
        fee = self.check_withdrawal(member, amount)
        try:
            return self.payments.start(idempotency_key, member, "disbursement", "withdrawal", amount, member.phone,
                                       fee=fee, initiated_by=f"member:{member.id}", channel=channel,
                                       session_ref=session_ref)
        except InsufficientFunds as exc:
            raise errors.InsufficientBalance(exc.available, amount + fee) from exc

    def _replayed_payment(self, idempotency_key, member, direction, purpose, amount, fee=None):
        """The payment already started under this key for this same movement, or None.

        Asked before the checks (a replayed withdrawal already holds its reservation, so
        its balance check would refuse it). The rule is the payments service's `replay`;
        the same key for another movement is refused here as ConflictingRequest, never
        answered with the first payment as if this one had been started.
        """
        try:
            return self.payments.replay(idempotency_key, member, direction, purpose, amount, member.phone, fee=fee)
        except PaymentConflict as exc:
            raise errors.ConflictingRequest(exc.message) from exc

    def recipient(self, sender, recipient_phone):
        """The member a transfer would go to (for the confirmation screen), or raise."""
        try:
            phone = normalize_phone(recipient_phone, self.config.get("DEFAULT_REGION", "KE"))
        except InvalidPhone:
            raise errors.NotAPhoneNumber(str(recipient_phone or "").strip()[:20]) from None
        recipient = self.members.by_phone(phone)
        if recipient is None:
            raise errors.UnknownRecipient()
        if recipient.id == sender.id:
            raise errors.SelfTransfer()
        if recipient.currency != sender.currency:
            raise errors.CurrencyNotServed()
        return recipient

    def check_sending(self, sender, amount):
        """The fee of sending `amount` to any member, or raise what the sender's side refuses: limits,
        daily limit, KYC tier and balance for amount + fee (the amount screen, before the recipient).

        Nothing is locked: `transfer` checks again under locks.
        """
        fee = self.transfer_fee(amount)
        self._check_outflow(sender, amount, fee, self.account_for(sender))
        return fee

    def check_transfer(self, sender, recipient_phone, amount):
        """The fee of sending `amount` to `recipient_phone`, or raise what would refuse it after the PIN or
        code: the sender's side (`check_sending`), the recipient (`recipient`) and their KYC limits in.

        Nothing is locked: `transfer` checks again under locks.
        """
        recipient = self.recipient(sender, recipient_phone)
        fee = self.check_sending(sender, amount)
        self._kyc(self.kyc_limits.refuse_in(recipient, amount, recipient_of_transfer=True))
        return fee

    def transfer(self, sender, recipient_phone, amount, idempotency_key, *, channel, session_ref=None,
                 tell_sender=True):
        """Move `amount` to another member's savings (fee to fee_income) as one ledger entry.

        Both members are told by SMS (`sent_notice`); `tell_sender=False` when the channel's own reply
        already is the sender's confirmation (an SMS command's answer), so they get one message, not two.

        The same key for the same transfer returns the first entry (a replayed confirmation);
        the same key for another amount or recipient is refused (ConflictingRequest).
        """
        self.members.check_active(sender)
        recipient = self.recipient(sender, recipient_phone)
        fee = self.transfer_fee(amount)
        source, destination = self.account_for(sender), self.account_for(recipient)
        postings = [(source, amount + fee), (destination, -amount)]
        if fee:
            postings.append((self.ledger.system_account("fee_income", amount.currency), -fee))
        try:
            existing = self.ledger.replay(idempotency_key, postings, kind="transfer")
            if existing is not None:
                return existing
            source, _destination = self.ledger.lock([source, destination])
            self._check_outflow(sender, amount, fee, source)
            self._kyc(self.kyc_limits.refuse_in(recipient, amount, recipient_of_transfer=True))
            entry = self.ledger.post(idempotency_key, postings, kind="transfer",
                                     memo=f"{sender.phone} -> {recipient.phone}",
                                     initiated_by=f"member:{sender.id}", channel=channel, session_ref=session_ref)
        except InsufficientFunds as exc:
            raise errors.InsufficientBalance(exc.available, amount + fee) from exc
        except IdempotencyConflict as exc:
            raise errors.ConflictingRequest(exc.message) from exc
        self._tell_both_sides(entry, sender, recipient, amount, fee, tell_sender=tell_sender)
        return entry

    def sent_notice(self, entry, sender, recipient, amount, fee):
        """The sender's confirmation of a transfer: its reference, amount, the recipient, the fee and balance."""
        return Text(KINDS["transfer_sent"].msgid, {  # the notification kind's own text, translated there
            "ref": entry_reference(entry.id), "amount": amount, "name": short_name(recipient.name), "fee": fee,
            "balance": self.balance(sender)})

    def _tell_both_sides(self, entry, sender, recipient, amount, fee, *, tell_sender):
        """One SMS to each member, each in their own language, naming the other (keys say it once)."""
        ref = entry_reference(entry.id)
        if tell_sender:
            self.notify(sender, "transfer_sent", f"transfer:{entry.id}:sent",
                        **self.sent_notice(entry, sender, recipient, amount, fee).params)
        self.notify(recipient, "transfer_received", f"transfer:{entry.id}:received", ref=ref, amount=amount,
                    name=short_name(sender.name), balance=self.balance(recipient))

    def history(self, member, limit=5):
        """Recent mobile-money payments and transfers with their state, newest first.

        Amounts are signed from the member's point of view: money in +, money out -.
        """
        rows = [HistoryRow(p.created_at, label(p.purpose), payment_amount_for_member(p), p.state)
                for p in self.payments.recent(member.id, limit)]
        account = self.account_for(member)
        transfers = list(self.session.execute(
            select(LedgerEntry.id, LedgerEntry.created_at, LedgerPosting.amount)
            .join(LedgerPosting, LedgerPosting.entry_id == LedgerEntry.id)
            .where(LedgerPosting.account_id == account.id, LedgerEntry.kind == "transfer")
            .order_by(LedgerEntry.id.desc()).limit(limit)))
        others = self._transfer_counterparts(account, [entry_id for entry_id, _at, _amount in transfers])
        for entry_id, created_at, amount in transfers:
            money = Money(amount * account.normal_sign, account.currency)
            rows.append(HistoryRow(created_at, transfer_label(money, others.get(entry_id)), money, "succeeded"))
        return sorted(rows, key=lambda row: row.when, reverse=True)[:limit]

    def _check_outflow(self, member, amount, fee, account):
        """Limits, daily limit, KYC tier and balance of `account`, the member's savings: locked by a movement,
        read unlocked by a check for a screen (advice there; the movement checks again under its lock)."""
        limits = self.check_amount(member, amount)
        used = Money(int(self._spent_today(account)), member.currency)
        if used + amount > limits.per_day:
            raise errors.DailyLimitReached(max(limits.per_day - used, Money.zero(member.currency)))
        self._kyc(self.kyc_limits.refuse_out(member, amount, used))
        available = Money(account.balance * account.normal_sign, account.currency)
        if available < amount + fee:
            raise errors.InsufficientBalance(available, amount + fee)

    @staticmethod
    def _kyc(refusal):
        """Raise the KYC tier's refusal (a Text from KycLimits) as a savings error."""
        if refusal is not None:
            raise errors.KycLimitReached(refusal)

    def _spent_today(self, account):
        """Minor units that left this savings account since local midnight (net of refunds)."""
        midnight = datetime.combine(self.clock.today(), time.min, tzinfo=self.clock.zone)
        return self.session.scalar(
            select(func.coalesce(func.sum(LedgerPosting.amount), 0))
            .join(LedgerEntry, LedgerEntry.id == LedgerPosting.entry_id)
            .where(LedgerPosting.account_id == account.id, LedgerEntry.created_at >= midnight,
                   LedgerEntry.kind.in_(OUTFLOW_KINDS),
                   (LedgerPosting.amount > 0) | (LedgerEntry.kind == "withdrawal_release"))) or 0
