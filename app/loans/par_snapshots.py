"""Daily PAR snapshots: today's portfolio at risk kept, so the console can draw it over time.

PAR is computed from instalments as of a date (app/loans/ageing.py `portfolio_at_risk`),
and yesterday's instalments have been paid or aged since: the only way to show how the
portfolio's risk moved is to keep each day's figures. The scheduler's `par_snapshot`
job (PAR_SNAPSHOT_AT) calls `take(day)` once a day; running it twice for a day
replaces that day's rows (the figures of the later run), so it is safe to repeat.
Only the portfolio lines (one per currency) are kept: products and groups are read live.
"""

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, DateTime, Integer, String, UniqueConstraint, delete, select
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.loans.ageing import PAR_DAYS, portfolio_at_risk


class ParSnapshot(db.Model):
    __tablename__ = "par_snapshots"
    __table_args__ = (UniqueConstraint("day", "currency", name="uq_par_snapshots_day_currency"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    currency: Mapped[str] = mapped_column(String(3))
    loans: Mapped[int] = mapped_column(Integer)
    outstanding_minor: Mapped[int] = mapped_column(BigInteger)
    par1_minor: Mapped[int] = mapped_column(BigInteger)
    par30_minor: Mapped[int] = mapped_column(BigInteger)
    par60_minor: Mapped[int] = mapped_column(BigInteger)
    par90_minor: Mapped[int] = mapped_column(BigInteger)
    taken_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    def share(self, days):
        """PARn as a float percentage for a chart (display only; the amounts stay integers)."""
        return 100 * getattr(self, f"par{days}_minor") / self.outstanding_minor if self.outstanding_minor else 0.0


class ParSnapshots:
    def __init__(self, session, *, clock):
        self.session = session
        self.clock = clock

    def take(self, day):
        """Replace `day`'s snapshot with the portfolio's PAR as of `day`; returns the rows written."""
        self.session.execute(delete(ParSnapshot).where(ParSnapshot.day == day))
        rows = [ParSnapshot(day=day, currency=line.currency, loans=line.loans, outstanding_minor=line.outstanding,
                            taken_at=self.clock.now(),
                            **{f"par{days}_minor": line.at_risk[days] for days in PAR_DAYS})
                for line in portfolio_at_risk(self.session, day) if line.scope == "portfolio"]
        self.session.add_all(rows)
        self.session.flush()
        return rows

    def history(self, currency, since):
        """The snapshots in `currency` from `since` on, oldest first ([] when none was taken)."""
        return list(self.session.scalars(select(ParSnapshot).where(
            ParSnapshot.currency == currency, ParSnapshot.day >= since).order_by(ParSnapshot.day)))
