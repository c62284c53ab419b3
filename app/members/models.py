"""The member: a person identified by an E.164 phone number.

The national ID number is stored only encrypted, with a keyed hash to look it up
(app/members/identity.py); the member service decrypts and masks it.
"""

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, Integer, String, func
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
    registered_by_agent_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    @property
    def needs_pin(self):
        """Registered by an agent and has not set a PIN yet."""
        return self.pin_hash is None

    def __repr__(self):
        return f"<Member {self.id} {self.phone}>"
