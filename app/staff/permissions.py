"""Roles and their permissions: the one table every permission check reads.

A permission is a dotted name (`payments.reverse`); a role is a set of them. Code
never asks "is this person finance?": it asks `StaffService.require(actor,
"payments.reverse")`, so moving a duty between roles is one line here.

- `support`, `loan_officer`, `finance`, `compliance`: the desk roles.
- `branch_manager`: everything of the desk roles, plus second approvals
  (`approvals.check`), agents, upholding disputes and top-tier KYC.
- `trainer`: the console's phone simulator only.
- `auditor`: every `*.view` permission, nothing that changes anything.
- `admin`: staff accounts and settings, deliberately no money powers.

Loan officers decide loans up to a limit per role and currency
(LOAN_OFFICER_LIMITS, "loan_officer=KES:50000,branch_manager=KES:500000", major
units), parsed by app/settings.py `loan_officer_limits` and asked through `StaffService.loan_limit`.
"""


PERMISSIONS = {
    "members.view": "see a member's profile, balances and history",
    "members.block": "block or unblock a member (lost phone, fraud)",
    "members.phone_change": "move a member to a new phone number after a SIM swap",
    "pins.reset.approve": "approve a member's forgotten-PIN request after a call-back",
    "kyc.view": "see a member's KYC tier and verification history",
    "kyc.verify": "record an ID sighted and verified (tier 2)",
    "kyc.upgrade": "raise a member to the top tier (documents sighted at a branch)",
    "disputes.view": "see agent disputes",
    "disputes.intake": "open and investigate an agent dispute",
    "disputes.resolve": "uphold or reject an agent dispute",
    "loans.view": "see loans and their schedules",
    "loans.decide": "approve or decline a loan, up to the role's limit",
    "loans.write_off": "write a loan off",
    "payments.view": "see payments and their evidence",
    "payments.review": "resolve a payment in review",
    "payments.reverse": "reverse or refund a succeeded payment or movement",
    "floats.view": "see agents' floats and the operators' balances",
    "floats.approve": "approve a float top-up above the threshold",
    "reconciliation.run": "import operator statements and reconcile them",
    "ledger.view": "see ledger entries, the trial balance and exports",
    "alerts.view": "see compliance alerts",
    "alerts.work": "work and close compliance alerts",
    "approvals.view": "see pending approvals",
    "approvals.check": "approve or reject another staff member's request (maker-checker)",
    "agents.view": "see agents and their transactions",
    "agents.manage": "suspend or reinstate an agent, change its limits",
    "work.view": "see the work queue of one's roles",
    "simulator.use": "use the console's phone simulator",
    "staff.view": "see staff accounts",
    "staff.manage": "create, disable, enable staff, set roles, reset passwords",
    "settings.view": "see the running settings",
    "settings.manage": "change settings",
    "audit.view": "read the audit log",
}
"""Every permission there is, with what it allows (a name missing here is a bug, refused by `permissions_of`)."""

SUPPORT = frozenset({
    "members.view", "members.block", "members.phone_change", "pins.reset.approve", "kyc.view", "kyc.verify",
    "disputes.view", "disputes.intake", "loans.view", "payments.view", "agents.view", "work.view"})
LOAN_OFFICER = frozenset({"members.view", "kyc.view", "loans.view", "loans.decide", "work.view"})
FINANCE = frozenset({
    "members.view", "payments.view", "payments.review", "payments.reverse", "floats.view", "floats.approve",
    "reconciliation.run", "ledger.view", "loans.view", "loans.write_off", "agents.view", "disputes.view",
    "work.view"})
COMPLIANCE = frozenset({
    "members.view", "members.block", "kyc.view", "alerts.view", "alerts.work", "payments.view", "ledger.view",
    "agents.view", "disputes.view", "loans.view", "work.view"})
BRANCH_MANAGER = SUPPORT | LOAN_OFFICER | FINANCE | COMPLIANCE | {
    "approvals.view", "approvals.check", "agents.manage", "disputes.resolve", "kyc.upgrade"}
TRAINER = frozenset({"simulator.use"})
AUDITOR = frozenset(name for name in PERMISSIONS if name.endswith(".view"))
ADMIN = frozenset({"staff.view", "staff.manage", "settings.view", "settings.manage", "audit.view"})

ROLES = {
    "support": SUPPORT,
    "loan_officer": LOAN_OFFICER,
    "finance": FINANCE,
    "compliance": COMPLIANCE,
    "branch_manager": BRANCH_MANAGER,
    "trainer": TRAINER,
    "auditor": AUDITOR,
    "admin": ADMIN,
}
"""role -> the permissions it grants: THE table."""


def _check_table():
    unknown = {name for granted in ROLES.values() for name in granted} - set(PERMISSIONS)
    if unknown:
        raise RuntimeError(f"roles grant unknown permissions: {sorted(unknown)}")


_check_table()


class UnknownRole(ValueError):
    """A role name that is not in ROLES."""


def check_roles(roles):
    """The roles as a sorted tuple; UnknownRole naming any that does not exist."""
    unknown = sorted(set(roles) - set(ROLES))
    if unknown:
        raise UnknownRole(f"unknown role(s) {', '.join(unknown)}; roles are {', '.join(ROLES)}")
    return tuple(sorted(set(roles)))


def permissions_of(roles):
    """Everything the given roles allow together (unknown roles grant nothing)."""
    return frozenset().union(*(ROLES.get(role, frozenset()) for role in roles))


def roles_granting(permission):
    """The roles that grant `permission`, for error messages ("needs finance or branch_manager")."""
    return tuple(role for role, granted in ROLES.items() if permission in granted)


class LoanLimits:
    """The largest loan each role may decide, per currency: LOAN_OFFICER_LIMITS parsed (app/settings.py)."""

    def __init__(self, limits):
        self.limits = limits
        """{role: {currency: Money}}."""

    def for_roles(self, roles, currency):
        """The largest limit in `currency` among `roles`, or None when none of them has one."""
        found = [self.limits[role][currency] for role in roles if currency in self.limits.get(role, {})]
        return max(found, key=lambda money: money.minor) if found else None
