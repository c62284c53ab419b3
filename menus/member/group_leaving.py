"""Leaving a group from the phone: why not yet, or what comes back, then confirm -> PIN -> done.

The rules and what happens to the member's money are app/groups/leaving.py's; this
screen asks `check_leave` first so a member who may not leave yet reads why (what is
due now, a waiting payout, ...) before confirming anything, and the service checks
again when they confirm. The chair does not see the option: they hand the chair over first.
"""

from app.groups.errors import GroupError
from app.i18n import N_, T
from menus.engine import Finish
from menus.member.group_common import current, final, leaving, memberships
from menus.member.pin_check import pin_check
from menus.screens import Branch, Confirm, End, Pin


def may_ask_to_leave(ctx):
    row = memberships(ctx).membership(current(ctx), ctx.member)
    return row is not None and row.status == "active" and row.role != "chair"


def prepare_leave(ctx):
    try:
        ctx.data["leave_share"] = leaving(ctx).check_leave(current(ctx), ctx.member)
    except GroupError as error:
        return Finish(error.message)
    return "ok"


def leave_prompt(ctx):
    share, name = ctx.data["leave_share"], current(ctx).name
    if share:
        return T(N_("Leave {group}? Your share of {amount} goes back to your savings. Fines paid stay with the "
                    "group."), group=name, amount=share)
    return T(N_("Leave {group}? You have no contributions left in it to take back."), group=name)


def leave_after_pin(ctx, pin):
    refused = pin_check(ctx, pin)
    if refused is not None:
        return refused
    ctx.data["leave_share"] = final(lambda: leaving(ctx).leave(current(ctx), ctx.member, channel=ctx.state.channel,
                                                               session_ref=ctx.session_ref))
    return None


def left_text(ctx):
    share, name = ctx.data["leave_share"], current(ctx).name
    if share:
        return T(N_("You left {group}. {amount} is back in your savings."), group=name, amount=share)
    return T(N_("You left {group}."), group=name)


SCREENS = [
    Branch("group_leave", decide=prepare_leave, next="group_leave_confirm"),
    Confirm("group_leave_confirm", leave_prompt, next="group_leave_pin"),
    Pin("group_leave_pin", N_("Enter your PIN:"), action=leave_after_pin, next="group_left"),
    End("group_left", left_text),
]
