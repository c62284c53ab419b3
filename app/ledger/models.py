"""Ledger tables and the account kinds with their normal side (see app/ledger/__init__.py)."""

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db

DEBIT_NORMAL = 1
"""Assets: what Pamoja holds or is owed; natural balance = stored balance."""

CREDIT_NORMAL = -1
"""Liabilities and income: what Pamoja owes or earned; natural balance = -stored balance."""

KINDS = {
    "member_savings": CREDIT_NORMAL,
    "guarantee_pledged": CREDIT_NORMAL,
    "group_pool": CREDIT_NORMAL,
    "member_group_share": CREDIT_NORMAL,
    "agent_float": CREDIT_NORMAL,
    "payouts_in_flight": CREDIT_NORMAL,
    "fee_income": CREDIT_NORMAL,
    "penalty_income": CREDIT_NORMAL,
    "interest_income": CREDIT_NORMAL,
    "loan_principal_receivable": DEBIT_NORMAL,
    "interest_receivable": DEBIT_NORMAL,
    "penalty_receivable": DEBIT_NORMAL,
    "mobile_money_clearing": DEBIT_NORMAL,
    "suspense": DEBIT_NORMAL,
    "member_receivable": DEBIT_NORMAL,
    "agent_receivable": DEBIT_NORMAL,
    "loan_write_off_expense": DEBIT_NORMAL,
}
"""Every account kind and its normal side. `mobile_money_clearing:<provider>` uses its base kind."""


def normal_sign_of(kind):
    """+1 or -1 for a kind; a `base:suffix` kind takes its base's sign. KeyError if unknown."""
    return KINDS[kind.split(":", 1)[0]]


def clearing_kind(provider):
    """The kind of a provider's clearing account: `mobile_money_clearing:mpesa`."""
    return f"mobile_money_clearing:{provider}"


HOLDER_OWNERS = ("member", "agent")
"""Owners whose accounts callers check before posting (savings, pledges, float): locked first.

Every other account (system, provider clearing, group, group member share, loan) is a
counter-account many movements share; it is locked after the holders. See `lock_order_clause`.
The database function `ledger_post` (migration 0022) spells the same order in SQL; a test holds them equal.
"""


def lock_order_clause():
    """ORDER BY for every account lock: holders first, then shared counter-accounts, each by id.

    One global order for every transaction is what makes row locks deadlock-free; holders
    come first so a caller can lock them for its checks (LedgerService.lock) without
    holding a hot shared account any longer than the posting itself.
    """
    return (LedgerAccount.owner_type.not_in(HOLDER_OWNERS), LedgerAccount.id)


SHARDS = 16
"""Balance shards of a hot shared account: up to this many posters add to it without waiting on each other."""

SHARDED_OWNERS = ("system", "provider", "group")
"""Owners of the hot shared counter-accounts (fee and interest income, payouts in flight, suspense,
provider clearing, group pools and share registers): their accounts keep in shards the part of
their balance that postings grow. Never a holder (HOLDER_OWNERS): a holder's balance is checked
by its callers under its row lock, and stays on its row."""


def shards_for(owner_type):
    """How many balance shards a new account of this owner gets (0: the balance stays on its row)."""
    return SHARDS if owner_type in SHARDED_OWNERS else 0


SHARD_LOCK_ORDER = "account_id, shard"
"""Shard rows are locked after every account row of the entry (the order of lock_order_clause),
by account then shard: a poster takes one shard per account (txid % shards), a fold takes them all."""


class LedgerAccount(db.Model):
    __tablename__ = "ledger_accounts"
    __table_args__ = (
        UniqueConstraint("owner_type", "owner_id", "kind", "currency", name="uq_ledger_accounts_owner",
                         postgresql_nulls_not_distinct=True),
        CheckConstraint("normal_sign IN (1, -1)", name="normal_sign"),
        CheckConstraint("allow_negative OR balance * normal_sign >= 0", name="no_overdraft"),
        CheckConstraint("shards >= 0 AND shards <= 64", name="shards_range"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    owner_type: Mapped[str] = mapped_column(String(20))
    owner_id: Mapped[int | None] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(60))
    currency: Mapped[str] = mapped_column(String(3))
    normal_sign: Mapped[int] = mapped_column(SmallInteger)
    allow_negative: Mapped[bool] = mapped_column(Boolean, default=False)
    balance: Mapped[int] = mapped_column(BigInteger, default=0)
    """The whole balance, or for a sharded account its base (LedgerService.balance adds the shards)."""
    shards: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    def __repr__(self):
        return f"<LedgerAccount {self.id} {self.owner_type}:{self.owner_id} {self.kind} {self.currency}>"


class LedgerEntry(db.Model):
    __tablename__ = "ledger_entries"
    __table_args__ = (
        # BRIN: a few pages for the whole append-only table, so the velocity scan (app/alerts) can read
        # "the last minutes" without a seq scan and without a B-tree to update on every posting.
        Index("ix_ledger_entries_created_at", "created_at", postgresql_using="brin"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    memo: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    initiated_by: Mapped[str] = mapped_column(String(60))
    channel: Mapped[str] = mapped_column(String(20))
    session_ref: Mapped[str | None] = mapped_column(String(120))

    postings: Mapped[list["LedgerPosting"]] = relationship(back_populates="entry", order_by="LedgerPosting.id")

    def __repr__(self):
        return f"<LedgerEntry {self.id} {self.kind} {self.idempotency_key}>"


class LedgerPosting(db.Model):
    __tablename__ = "ledger_postings"
    __table_args__ = (
        CheckConstraint("amount <> 0", name="amount_not_zero"),
        # A statement is the account's last postings: read backwards, this index gives them without a sort,
        # however many the account has (migration 0023, built CONCURRENTLY).
        Index("ix_ledger_postings_account_entry", "account_id", "entry_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("ledger_entries.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)

    entry: Mapped[LedgerEntry] = relationship(back_populates="postings")
    account: Mapped[LedgerAccount] = relationship()


class LedgerAccountShard(db.Model):
    """Part of a sharded account's balance (migration 0014): the sum of some of its growing postings.

    `normal_sign` and `allow_negative` copy the account's, so the database checks each shard
    as it checks the account: a no-overdraft account's shards only grow, and each stays >= 0.
    """

    __tablename__ = "ledger_account_shards"
    __table_args__ = (CheckConstraint("allow_negative OR balance * normal_sign >= 0", name="no_overdraft"),)

    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"), primary_key=True)
    shard: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    normal_sign: Mapped[int] = mapped_column(SmallInteger)
    allow_negative: Mapped[bool] = mapped_column(Boolean)
    balance: Mapped[int] = mapped_column(BigInteger)
