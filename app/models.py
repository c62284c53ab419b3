"""Every domain's models, imported in one place for metadata and Alembic."""

from app.ledger.models import LedgerAccount, LedgerEntry, LedgerPosting  # noqa: F401
from app.members.models import Member  # noqa: F401
from app.payments.models import Payment, PaymentEvent  # noqa: F401
