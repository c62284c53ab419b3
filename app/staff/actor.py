"""Who is acting: one small value every audited service call takes.

An `Actor` says who (staff, member, agent or the system), through which channel
(cli, console, ussd, sms, whatsapp, job), as which OS user for the CLI, and under
which request id (so one command's or one console request's events group together).

`signed_in` is True only when this process checked the staff member's password
and TOTP code in this request: the console after its sign-in, or a CLI command
that prompted for them (`StaffService.sign_in`). A name typed after `--staff`
proves nothing, so `StaffService.cli_actor` builds an actor with `signed_in=False`;
the checker's side of maker-checker and the grant-type staff actions refuse it.

Staff actors are made by StaffService (it checks the account exists and is
active); `Actor.member`, `Actor.agent` and `Actor.system` are plain constructors.
"""

import uuid
from dataclasses import dataclass, field

STAFF, MEMBER, AGENT, SYSTEM = "staff", "member", "agent", "system"
KINDS = (STAFF, MEMBER, AGENT, SYSTEM)

CLI, CONSOLE, USSD, SMS, WHATSAPP, JOB = "cli", "console", "ussd", "sms", "whatsapp", "job"
CHANNELS = (CLI, CONSOLE, USSD, SMS, WHATSAPP, JOB)


def new_request_id():
    """A fresh request id (a CLI command, a job run)."""
    return uuid.uuid4().hex


@dataclass(frozen=True)
class Actor:
    """Who acts, how and where; see the module docstring."""

    kind: str
    id: int | str | None
    """The staff/member/agent id; for the system, the job or process name ("scheduler", "bootstrap")."""
    channel: str
    os_user: str | None = None
    request_id: str | None = field(default_factory=new_request_id)
    signed_in: bool = False
    username: str | None = None
    """A staff member's username, for messages (the id is what is recorded)."""

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"actor kind must be one of {KINDS}, not {self.kind!r}")
        if self.channel not in CHANNELS:
            raise ValueError(f"actor channel must be one of {CHANNELS}, not {self.channel!r}")

    @property
    def is_staff(self):
        return self.kind == STAFF

    @property
    def staff_id(self):
        """The staff id, or None for a member, agent or the system."""
        return self.id if self.kind == STAFF else None

    @property
    def label(self):
        """`staff:3`, `member:42`, `system:scheduler`: how audit filters name an actor."""
        return f"{self.kind}:{self.id}"

    def __str__(self):
        return f"{self.kind}:{self.username}" if self.username else self.label

    @classmethod
    def member(cls, member_id, channel, request_id=None):
        return cls(MEMBER, member_id, channel, request_id=request_id or new_request_id())

    @classmethod
    def agent(cls, agent_id, channel, request_id=None):
        return cls(AGENT, agent_id, channel, request_id=request_id or new_request_id())

    @classmethod
    def system(cls, name, channel=JOB, os_user=None, request_id=None):
        """The system itself: a scheduled job ("scheduler"), or "bootstrap" for the first admin's CLI setup."""
        return cls(SYSTEM, name, channel, os_user=os_user, request_id=request_id or new_request_id())
