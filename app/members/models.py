"""The member: a person identified by an E.164 phone number.

The national ID number is stored only encrypted, with a keyed hash to look it up
(app/members/identity.py); the member service decrypts and masks it.
"""

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, DateTime, ForeignKey, Index, Integer, String, func, text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


class Member(db.Model):
    __tablename__ = "members"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    phone: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    # AES-GCM ciphertext and keyed lookup hash (app/members/identity.py): never the ID number itself
    national_id_encrypted: Mapped[str] = mapped_column(String(100))
    national_id_lookup: Mapped[str] = mapped_column(String(64), index=True)
    locale: Mapped[str] = mapped_column(String(5), default="en")
    currency: Mapped[str] = mapped_column(String(3))
    pin_hash: Mapped[str | None] = mapped_column(String(128))
    pin_failures: Mapped[int] = mapped_column(Integer, default=0)
    pin_locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    kyc_level: Mapped[int] = mapped_column(Integer, default=1)
    preferred_channel: Mapped[str] = mapped_column(String(10), default="sms")
    sms_opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    last_whatsapp_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    pin_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    """When the PIN was last changed or reset (not the first PIN): the velocity rules watch money out after it."""
    phone_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    """When the phone number was last changed (set by whatever changes it): watched like a PIN change."""
    blocked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    """Set while staff have blocked the account (lost phone, fraud): no channel serves it, no money moves out."""
    registered_by_agent_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    @property
    def blocked(self):
        return self.blocked_at is not None

    @property
    def needs_pin(self):
        """Registered by an agent and has not set a PIN yet."""
        return self.pin_hash is None

    def __repr__(self):
        return f"<Member {self.id} {self.phone}>"


PIN_RESET_STATUSES = ("requested", "approved", "completed", "expired", "cancelled")
PIN_RESET_OPEN = ("requested", "approved")


class PinResetRequest(db.Model):
    """A member's "I forgot my PIN" (app/members/pin_reset.py): opened by them, approved by an agent or staff.

    At most one open (requested or approved) request per member. The one-time code
    sent on approval lives in Redis (app/one_time_codes.py); this row only says when it
    stops working (`code_expires_at`).
    """

    __tablename__ = "pin_reset_requests"
    __table_args__ = (
        CheckConstraint("status IN ('requested', 'approved', 'completed', 'expired', 'cancelled')", name="status"),
        Index("uq_pin_reset_requests_open_member", "member_id", unique=True,
              postgresql_where=text("status IN ('requested', 'approved')")),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    member_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("members.id"), index=True)
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    channel: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10), default="requested")
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    approved_by: Mapped[str | None] = mapped_column(String(40))
    """Who approved: `agent:7` or `staff:3` (the audit log has the whole story)."""
    code_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    """When it was completed, expired or cancelled."""

    @property
    def is_open(self):
        return self.status in PIN_RESET_OPEN

    def __repr__(self):
        return f"<PinResetRequest {self.id} member {self.member_id} {self.status}>"


class MomoNumber(db.Model):
    """The member's own mobile-money number, when it is not the SIM they use Pamoja from (app/members/momo_numbers.py).

    At most one per member; no row means the SIM's number and its network. `network` is set
    when the member said which network the wallet is on (a ported number), else None (read
    from the number). Payouts go to it only from `payouts_from` (a hold after it is set).
    """

    __tablename__ = "member_momo_numbers"

    member_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("members.id"), primary_key=True)
    phone: Mapped[str] = mapped_column(String(16))
    network: Mapped[str | None] = mapped_column(String(20))
    set_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    payouts_from: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    def __repr__(self):
        return f"<MomoNumber member {self.member_id} {self.phone} {self.network or '-'}>"
