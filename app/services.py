"""The composition root for domain services: the one place that wires collaborators.

A `Services` is built per request (`request_services()`) or per job
(`job_services()`) around one database session. Each domain service is created on
first use with its keyword-only collaborators (clock, settings, other services,
senders), so no domain package imports another's wiring, Flask, `channels/` or
`menus/`. Outbound senders come from `app.extensions["senders"]`, installed by
`create_app` from `channels/`.
"""

import functools
from functools import cache, cached_property

from flask import current_app, g

from app.clock import SystemClock
from app.extensions import db


class Services:
    def __init__(self, session, *, config, settings, redis, queues, clock=None, senders=None):
        self.session = session
        self.config = config
        self.settings = settings
        """The typed settings (app/settings.py); `config` holds the text ones."""
        self.redis = redis
        self.queues = queues
        self.clock = clock or SystemClock(config["TIMEZONE"])
        self.senders = senders or {}

    @cached_property
    def read_session(self):
        """The session of read-only paths (statements, exports, PAR): the replica's, else this one (app/replica.py)."""
        from app.replica import read_session

        return read_session(self.session, self.config)

    @cached_property
    def ledger_reads(self):
        """The ledger's reads (statements) on `read_session`."""
        from app.ledger.services import LedgerService

        return LedgerService(self.read_session, clock=self.clock)

    def notify(self, member, kind, key=None, **params):
        """Tell a member something through the notification service (see app/notifications)."""
        return self.notifications.notify(member, kind, key, **params)

    def notify_member(self, member_id, kind, key=None, **params):
        """`notify` for services that hold a member's id, not the member (payments)."""
        member = self.members.get(member_id)
        return self.notify(member, kind, key, **params) if member is not None else None

    @cached_property
    def peppers(self):
        """The PIN peppers (current and old, by id) members and agents hash with."""
        from app.members.pin_hashing import Peppers

        return Peppers.from_config(self.config)

    @cached_property
    def identity_keys(self):
        """The national ID encryption and lookup keys (ID_ENCRYPTION_KEYS, ID_LOOKUP_KEY)."""
        from app.members.identity import IdentityKeys

        return IdentityKeys.from_config(self.config)

    @cached_property
    def members(self):
        from app.members.services import MemberService

        return MemberService(
            self.session, clock=self.clock, pepper=self.peppers, identity=self.identity_keys,
            max_attempts=self.settings.PIN_MAX_ATTEMPTS, lock_minutes=self.settings.PIN_LOCK_MINUTES,
            default_currency=self.config["DEFAULT_CURRENCY"], notify=self.notify,
            support_phone=self.config["SUPPORT_PHONE"],
        )

    @cached_property
    def pin_resets(self):
        from app.members.pin_reset import PinResets

        return PinResets(self.session, clock=self.clock, members=self.members, codes=self.one_time_codes,
                         staff=self.staff, audit=self.audit, outbox=self.outbox,
                         code_minutes=self.settings.PIN_RESET_CODE_MINUTES,
                         request_days=self.settings.PIN_RESET_REQUEST_DAYS, ussd_code=self.config["USSD_CODE"],
                         support_phone=self.config["SUPPORT_PHONE"])

    @cached_property
    def member_access(self):
        from app.members.access import MemberAccess

        return MemberAccess(self.session, clock=self.clock, members=self.members, staff=self.staff,
                            audit=self.audit, codes=self.one_time_codes, outbox=self.outbox,
                            pin_resets=self.pin_resets, default_region=self.config["DEFAULT_REGION"],
                            code_minutes=self.settings.PHONE_CHANGE_CODE_MINUTES,
                            ussd_code=self.config["USSD_CODE"], support_phone=self.config["SUPPORT_PHONE"])

    @cached_property
    def momo_numbers(self):
        from app.members.momo_numbers import MomoNumbers

        return MomoNumbers(self.session, clock=self.clock, codes=self.one_time_codes, audit=self.audit,
                           outbox=self.outbox, provider_for=self.providers.name_for,
                           networks_in=self.providers.networks_in,
                           hold_hours=self.settings.MOMO_NUMBER_PAYOUT_HOLD_HOURS,
                           default_region=self.config["DEFAULT_REGION"], support_phone=self.config["SUPPORT_PHONE"])

    @cached_property
    def notifications(self):
        from app.notifications.services import NotificationService

        return NotificationService(self.session, clock=self.clock, config=self.config,
                                   enqueue=self.enqueue, outbox=self.outbox)

    @cached_property
    def ledger(self):
        from app.ledger.services import LedgerService

        return LedgerService(self.session, clock=self.clock)

    @cached_property
    def providers(self):
        from app.payments.registry import providers_for

        return providers_for(self.config, self.redis, by_country=self.settings.PAYMENT_PROVIDERS,
                             prefixes=self.settings.PAYMENT_NETWORK_PREFIXES)

    @cached_property
    def payments(self):
        from app.payments.services import PaymentService

        return PaymentService(self.session, clock=self.clock, ledger=self.ledger, providers=self.providers,
                              enqueue=self.enqueue, settlement=settlement_handlers(), notify=self.notify_member,
                              tell=self.notify, member_guard=self.members.check_active,
                              route=lambda *args: self.momo_numbers.route(*args),  # built when a payment starts
                              desk=lambda: self.payment_review)

    @cached_property
    def payment_review(self):
        from app.payments.review import PaymentReview

        return PaymentReview(self.session, clock=self.clock, payments=self.payments, staff=self.staff,
                             approvals=self.approvals, audit=self.audit, work_queue=self.work_queue)

    @cached_property
    def payment_reversals(self):
        from app.payments.reversals import Reversals

        return Reversals(self.session, clock=self.clock, payments=self.payments, ledger=self.ledger,
                         staff=self.staff, approvals=self.approvals, audit=self.audit, notify=self.notify,
                         recipient=self._holder)

    def _holder(self, owner_type, owner_id):
        """The Member or Agent owning a ledger account (whom a correction is told to), or None."""
        from app.agents.models import Agent
        from app.members.models import Member

        model = {"member": Member, "agent": Agent}.get(owner_type)
        return self.session.get(model, owner_id) if model is not None else None

    @cached_property
    def statement_reconciliation(self):
        from app.payments.statement_reconcile import StatementReconciliation

        return StatementReconciliation(self.session, clock=self.clock, staff=self.staff, audit=self.audit,
                                       work_queue=self.work_queue)

    @cached_property
    def float_watch(self):
        from app.payments.float_watch import FloatWatch

        return FloatWatch(clock=self.clock, providers=self.providers, work_queue=self.work_queue,
                          thresholds=self.settings.FLOAT_ALERT_THRESHOLDS,
                          sms_credit_threshold=self.settings.SMS_CREDIT_ALERT,
                          sms_credit=getattr(self.senders.get("sms"), "credit", None),
                          mpesa_account=self.config["MPESA_FLOAT_ACCOUNT"])

    @cached_property
    def savings(self):
        from app.savings.services import SavingsService

        return SavingsService(self.session, clock=self.clock, ledger=self.ledger, payments=self.payments,
                              config=self.config, members=self.members, kyc_limits=self.kyc_limits,
                              notify=self.notify, statements=self.ledger_reads)

    @cached_property
    def kyc_limits(self):
        """What each KYC tier allows (KYC_LIMITS, LOAN_KYC_TIERS): the one rule savings, transfers, agent cash
        and loans ask."""
        from app.members.kyc.limits import KycLimits

        return KycLimits(self.session, clock=self.clock, ledger=self.ledger, table=self.settings.KYC_LIMITS,
                         loan_tiers=self.settings.LOAN_KYC_TIERS)

    @cached_property
    def kyc(self):
        from app.members.kyc.services import KycService

        return KycService(self.session, clock=self.clock, members=self.members, staff=self.staff,
                          approvals=self.approvals, audit=self.audit, notify=self.notify)

    @cached_property
    def outbox(self):
        from app.notifications.outbox import Outbox
        from channels.send_result import UnknownOutcomeError
        from channels.senders import OutsideWindowError, TransientSendError
        from channels.textfit import segments, to_gsm7

        return Outbox(self.session, clock=self.clock, senders=self.senders, enqueue=self.enqueue,
                      transient_errors=(TransientSendError,), outside_window_errors=(OutsideWindowError,),
                      unknown_outcome_errors=(UnknownOutcomeError,), text_fitter=to_gsm7, segment_counter=segments)

    @cached_property
    def invitations(self):
        from app.members.invitations import Invitations

        return Invitations(redis=self.redis, outbox=self.outbox, members=self.members, clock=self.clock,
                           ussd_code=self.config["USSD_CODE"], default_region=self.config["DEFAULT_REGION"])

    @cached_property
    def one_time_codes(self):
        from app.one_time_codes import OneTimeCodes

        return OneTimeCodes(self.redis, clock=self.clock, master=self.config["SECRET_KEY"])

    @cached_property
    def recipient_lookups(self):
        from app.members.lookups import RecipientLookups

        return RecipientLookups(self.redis, clock=self.clock, per_hour=self.settings.RECIPIENT_LOOKUPS_PER_HOUR)

    @cached_property
    def confirmations(self):
        from app.members.confirmations import SmsConfirmations

        return SmsConfirmations(self.one_time_codes, ttl_seconds=self.settings.SMS_CONFIRMATION_TTL,
                                max_attempts=self.settings.SMS_CONFIRMATION_ATTEMPTS)

    @cached_property
    def group_limits(self):
        from app.groups.limits import ContributionLimits

        return ContributionLimits(self.settings.GROUP_CONTRIBUTION_LIMITS, operator_units=self.operator_units)

    @cached_property
    def operator_units(self):
        """What mobile money carries per currency (OPERATOR_MINOR_UNITS; app/operator_units.py)."""
        from app.operator_units import OperatorUnits

        return OperatorUnits(self.settings.OPERATOR_MINOR_UNITS)

    @cached_property
    def group_memberships(self):
        from app.groups.membership import Memberships

        return Memberships(self.session, clock=self.clock, limits=self.group_limits, notify=self.notify)

    @cached_property
    def group_contributions(self):
        from app.groups.contributions import Contributions

        return Contributions(self.session, clock=self.clock, ledger=self.ledger, payments=self.payments,
                             notify=self.notify, memberships=self.group_memberships, limits=self.group_limits)

    @cached_property
    def group_arrears(self):
        from app.groups.arrears import Arrears

        return Arrears(self.session, clock=self.clock, memberships=self.group_memberships)

    @cached_property
    def group_fines(self):
        from app.groups.fines import Fines

        return Fines(self.session, clock=self.clock, ledger=self.ledger, memberships=self.group_memberships,
                     limits=self.group_limits)

    @cached_property
    def group_payouts(self):
        from app.groups.payouts import Payouts

        return Payouts(self.session, clock=self.clock, ledger=self.ledger, notify=self.notify,
                       memberships=self.group_memberships)

    @cached_property
    def group_leaving(self):
        from app.groups.leaving import Leaving

        return Leaving(self.session, clock=self.clock, ledger=self.ledger, notify=self.notify,
                       memberships=self.group_memberships, arrears=self.group_arrears, payouts=self.group_payouts)

    @cached_property
    def group_share_out(self):
        from app.groups.share_out import ShareOut

        return ShareOut(self.session, clock=self.clock, ledger=self.ledger, notify=self.notify,
                        memberships=self.group_memberships, payouts=self.group_payouts,
                        operator_units=self.operator_units)

    @cached_property
    def agents(self):
        from app.agents.roster import AgentRoster

        return AgentRoster(
            self.session, clock=self.clock, ledger=self.ledger, members=self.members, pepper=self.peppers,
            max_attempts=self.settings.PIN_MAX_ATTEMPTS, lock_minutes=self.settings.PIN_LOCK_MINUTES,
            default_region=self.config["DEFAULT_REGION"], default_currency=self.config["DEFAULT_CURRENCY"])

    @cached_property
    def agent_float(self):
        from app.agents.floats import AgentFloat

        return AgentFloat(ledger=self.ledger, payments=self.payments,
                          approval_threshold=self.settings.FLOAT_TOPUP_APPROVAL)

    @cached_property
    def agent_reports(self):
        from app.agents.reports import AgentReports

        return AgentReports(self.session, clock=self.clock, notify=self.notify, floats=self.agent_float)

    @cached_property
    def agent_cash(self):
        from app.agents.cash import AgentCash

        return AgentCash(self.session, clock=self.clock, ledger=self.ledger, notify=self.notify,
                         roster=self.agents, reports=self.agent_reports, loans=self.loans,
                         contributions=self.group_contributions, memberships=self.group_memberships,
                         kyc_limits=self.kyc_limits)

    @cached_property
    def agent_disputes(self):
        from app.agents.disputes import AgentDisputes

        return AgentDisputes(self.session, clock=self.clock, notify=self.notify, ledger=self.ledger, staff=self.staff,
                             audit=self.audit, work_queue=self.work_queue,
                             sla_hours=self.settings.DISPUTE_SLA_HOURS)

    @cached_property
    def agent_oversight(self):
        from app.agents.oversight import AgentOversight

        return AgentOversight(roster=self.agents, floats=self.agent_float, staff=self.staff, audit=self.audit,
                              approvals=self.approvals)

    @cached_property
    def loans(self):
        from app.loans.services import LoanService

        return LoanService(self.session, clock=self.clock, ledger=self.ledger, members=self.members,
                           notify=self.notify, scorer=self.loan_scorer, eligibility=self.loan_eligibility,
                           decisions=self.loan_decisions, guarantees=self.loan_guarantees,
                           repayments=self.loan_repayments, member_repayments=self.loan_member_repayments,
                           disbursements=self.loan_disbursements, group_officials=self._group_officials,
                           default_destination=self.config["LOAN_DEFAULT_DESTINATION"])

    @cached_property
    def loan_scorer(self):
        from app.loans.scoring import CreditScorer

        return CreditScorer(self.session, ledger=self.ledger, clock=self.clock,
                            score_caps=self.settings.LOAN_SCORE_CAPS)

    @cached_property
    def loan_eligibility(self):
        from app.loans.eligibility import Eligibility

        return Eligibility(self.session, clock=self.clock, members=self.members, scorer=self.loan_scorer,
                           kyc_limits=self.kyc_limits)

    @cached_property
    def loan_decisions(self):
        from app.loans.decisions import Decisions

        return Decisions(self.session, clock=self.clock)

    @cached_property
    def loan_guarantees(self):
        from app.loans.guarantors import Guarantees

        return Guarantees(self.session, ledger=self.ledger, clock=self.clock, notify=self.notify)

    @cached_property
    def loan_repayments(self):
        """Repayments whose clearing a loan releases its pledges (app/loans/repayment_booking.py)."""
        from app.loans.guarantors import repayments_releasing_pledges

        return repayments_releasing_pledges(self.loan_guarantees)

    @cached_property
    def loan_member_repayments(self):
        from app.loans.member_repayments import MemberRepayments

        return MemberRepayments(repayments=self.loan_repayments, members=self.members, payments=self.payments,
                                notify=self.notify, operator_units=self.operator_units)

    @cached_property
    def loan_disbursements(self):
        from app.loans.disbursement import Disbursements

        return Disbursements(self.session, clock=self.clock, ledger=self.ledger, members=self.members,
                             payments=self.payments, repayments=self.loan_repayments,
                             decisions=self.loan_decisions, notify=self.notify)

    @cached_property
    def loan_officers(self):
        from app.loans.officers import OfficerDecisions

        return OfficerDecisions(self.session, loans=self.loans, staff=self.staff, audit=self.audit,
                                approvals=self.approvals, work_queue=self.work_queue)

    @cached_property
    def loan_write_offs(self):
        from app.loans.write_off import WriteOffs

        return WriteOffs(self.session, clock=self.clock, ledger=self.ledger, loans=self.loans,
                         decisions=self.loan_decisions, guarantees=self.loan_guarantees, staff=self.staff,
                         audit=self.audit, approvals=self.approvals, work_queue=self.work_queue)

    def _group_officials(self, group_id):
        """Member ids of a group's chair, treasurer and secretary (for group loan approvals)."""
        from app.loans.group_membership import group_officials

        return group_officials(self.session, group_id)

    @cached_property
    def alerts(self):
        from app.alerts.services import AlertService

        return AlertService(self.session, clock=self.clock, config=self.config, settings=self.settings,
                            staff=self.staff, audit=self.audit, work_queue=self.work_queue)

    @cached_property
    def reminders(self):
        from app.notifications.reminders import ReminderService

        return ReminderService(self.session, clock=self.clock, notifications=self.notifications,
                               settings=self.settings)

    @cached_property
    def audit(self):
        from app.audit.services import Audit

        return Audit(self.session, clock=self.clock)

    @cached_property
    def staff(self):
        from app.staff.services import StaffService

        return StaffService(self.session, clock=self.clock, audit=self.audit,
                            loan_limits=self.settings.LOAN_OFFICER_LIMITS,
                            max_failed_logins=self.settings.STAFF_MAX_FAILED_LOGINS,
                            lock_minutes=self.settings.STAFF_LOCK_MINUTES,
                            min_password_length=self.settings.STAFF_MIN_PASSWORD_LENGTH)

    @cached_property
    def approvals(self):
        from app.staff.approvals import Approvals, Thresholds

        handlers = {action: functools.partial(handler, self) for action, handler in approval_handlers().items()}
        topups = self.settings.FLOAT_TOPUP_APPROVAL  # agents' float top-ups (app/agents/oversight.py)
        thresholds = Thresholds({**self.settings.APPROVAL_THRESHOLDS.limits, **({"floats.approve": topups}
                                                                               if topups else {})})
        return Approvals(self.session, clock=self.clock, staff=self.staff, audit=self.audit,
                         thresholds=thresholds, handlers=handlers)

    @cached_property
    def work_queue(self):
        from app.staff.work_queue import WorkQueue

        return WorkQueue(self.session, clock=self.clock, staff=self.staff, audit=self.audit,
                         send_sms=self.outbox.send_sms)

    def answer_sms_command(self, phone, text, message_id):
        """The answer to one SMS command: parsed by channels/, run with these services by menus/.

        Here because only the composition root may know both (the `answer_sms` job is a domain job).
        """
        from channels.sms_command_parser import parse_command
        from menus.sms_commands import SmsCommands

        commands = SmsCommands(self, ussd_code=self.config["USSD_CODE"], default_locale=self.config["DEFAULT_LOCALE"])
        return commands.answer(phone, parse_command(text), message_id)

    def enqueue(self, queue_name, func, *args, **kwargs):
        """Enqueue a job after this unit of work commits (see app/jobs.enqueue_after_commit)."""
        from app.jobs import enqueue_after_commit

        return enqueue_after_commit(self.session, self.queues[queue_name], func, *args, **kwargs)


@cache
def settlement_handlers():
    """Every payment purpose's ledger side, listed here once (payments imports no other domain)."""
    from app.agents.settlement import FLOAT_TOPUP, credit_agent_float, float_topup_notice
    from app.groups.settlement import contribution_notice, credit_group_contribution
    from app.loans.settlement import (
        disbursement_notice,
        repayment_notice,
        reserve_loan_disbursement,
        settle_loan_repayment,
    )
    from app.payments.refunds import RECOVERY, REFUND, recovery_settlement, refund_reservation
    from app.payments.settlement import SettlementHandlers, credit_member_savings, debit_member_savings

    return SettlementHandlers(
        collections={"deposit": credit_member_savings, "contribution": credit_group_contribution,
                     "loan_repayment": settle_loan_repayment, FLOAT_TOPUP: credit_agent_float,
                     RECOVERY: recovery_settlement},
        disbursements={"withdrawal": debit_member_savings, "loan_disbursement": reserve_loan_disbursement,
                       REFUND: refund_reservation},
        notices={"contribution": contribution_notice, "loan_repayment": repayment_notice,
                 "loan_disbursement": disbursement_notice,
                 FLOAT_TOPUP: float_topup_notice})


@cache
def approval_handlers():
    """Every maker-checker action's handler, listed here once: `handler(services, approval, checker)`.

    The workflows of issue 14 add theirs (payments.resolve, payments.reverse, loans.write_off,
    kyc.tier3, floats.approve, ...); an action above its APPROVAL_THRESHOLDS with no handler
    here is refused when requested.
    """
    from app.members.kyc.services import approve_top_tier

    return {
        "kyc.tier3": approve_top_tier,
        "floats.approve": lambda services, approval, checker: services.agent_oversight.approve_topup(approval, checker),
        "payments.resolve": lambda services, approval, checker: services.payment_review.run_approved(approval, checker),
        "payments.reverse": lambda services, approval, checker: services.payment_reversals.run_approved(approval,
                                                                                                       checker),
        "loans.approve": lambda services, approval, checker: services.loan_officers.approve_above_limit(
            approval, checker),
        "loans.write_off": lambda services, approval, checker: services.loan_write_offs.approve_handler(
            approval, checker),
    }


def build_services(app, session, **overrides):
    """Services around `session` for `app`; `overrides` replace collaborators (clock)."""
    return Services(
        session,
        config=app.config,
        settings=app.extensions["settings"],
        redis=app.extensions["redis"],
        queues=app.extensions["queues"],
        senders=app.extensions.get("senders"),
        clock=overrides.get("clock") or app.extensions.get("clock"),
    )


def request_services():
    """The services of the current request or job, built once."""
    if "services" not in g:
        g.services = build_services(current_app, db.session)
    return g.services
