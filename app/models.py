"""Every domain's models, imported in one place for metadata and Alembic."""

from app.agents.models import Agent, AgentTransaction  # noqa: F401  (the package registers agent_float_topup)
from app.alerts.models import SecurityAlert  # noqa: F401
from app.deferred_jobs import DeferredJob  # noqa: F401
from app.groups import settlement as _group_settlement  # noqa: F401  (registers the "contribution" purpose)
from app.groups.models import Group, GroupContribution, GroupFine, GroupMember, GroupPayout  # noqa: F401
from app.ledger.models import LedgerAccount, LedgerEntry, LedgerPosting  # noqa: F401
from app.loans import models as _loan_models  # noqa: F401  (loan tables; the package registers its purposes)
from app.members.models import Member  # noqa: F401
from app.notifications.messages import MessageReport, OutboundMessage  # noqa: F401
from app.notifications.models import Notification  # noqa: F401
from app.payments.models import Payment, PaymentEvent  # noqa: F401
