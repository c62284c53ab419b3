"""Every domain's models, imported in one place for metadata and Alembic."""

from app.agents.models import Agent, AgentTransaction  # noqa: F401
from app.alerts.models import SecurityAlert  # noqa: F401
from app.audit.models import AuditEvent  # noqa: F401
from app.deferred_jobs import DeferredJob  # noqa: F401
from app.groups.models import Group, GroupContribution, GroupFine, GroupMember, GroupPayout  # noqa: F401
from app.ledger.models import LedgerAccount, LedgerEntry, LedgerPosting  # noqa: F401
from app.loans import models as _loan_models  # noqa: F401  (loan tables)
from app.loans.par_snapshots import ParSnapshot  # noqa: F401
from app.members.kyc.models import KycChange  # noqa: F401
from app.members.models import Member, MomoNumber, PinResetRequest  # noqa: F401
from app.notifications.messages import MessageReport, OutboundMessage  # noqa: F401
from app.notifications.models import Notification  # noqa: F401
from app.payments.models import Payment, PaymentEvent  # noqa: F401
from app.staff.models import Approval, Staff, StaffRole, WorkItem  # noqa: F401
