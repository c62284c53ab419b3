"""Refusals of the staff package: each message names what was refused and why, in plain English.

Staff-facing (CLI, console), not member-facing, so the messages are English text;
the console may map the classes to its own translated messages.
"""


class StaffError(Exception):
    """Base of every refusal here; `str(error)` is the message to show."""


class UnknownStaff(StaffError):
    """No staff account by that username or id."""


class PermissionDenied(StaffError):
    """The actor lacks a permission, or must be signed in for this and is not."""

    def __init__(self, message, *, permission=None, actor=None):
        super().__init__(message)
        self.permission = permission
        self.actor = actor


class StaffDisabled(PermissionDenied):
    """The account exists but is disabled: it may do nothing."""


class SignInFailed(StaffError):
    """Wrong username, password or TOTP code (the message never says which)."""


class AccountLocked(SignInFailed):
    """Too many failed sign-ins: locked until `locked_until`."""

    def __init__(self, message, locked_until=None):
        super().__init__(message)
        self.locked_until = locked_until


class InvalidStaffInput(StaffError):
    """A malformed username, a short password, an unknown role, a duplicate username."""


class TotpError(StaffError):
    """TOTP enrolment refused: already enrolled, no pending secret, or a wrong code."""


class ApprovalError(StaffError):
    """Maker-checker refusals: unknown approval, not pending, self-approval, no handler."""


class UnknownApproval(ApprovalError):
    pass


class ApprovalNotPending(ApprovalError):
    """Already approved or rejected (two checkers at once: the second is told this)."""


class SelfApproval(ApprovalError):
    """The maker tried to approve their own request."""


class WorkItemError(StaffError):
    """Unknown work item, already closed, or not one of the actor's roles."""
