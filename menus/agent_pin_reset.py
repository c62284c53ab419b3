"""Agent menu "Reset a member's PIN": the member stands in front of the agent with their ID card.

The agent types the member's phone (their name is shown to check), then the ID number
from the card in hand (checked against the member's, never shown), then the agent's
own PIN to approve. The member must have asked first (Forgot PIN); approval sends
them a one-time code by SMS and they choose the new PIN themselves at their next
dial (app/members/pin_reset.py). The agent never sees or sets it. Session data holds
the member's id and a flag, never the ID number.
"""

from app.agents.errors import WrongAgentPin
from app.i18n import N_, T
from app.members.errors import MemberError
from menus.agent_cash import agent_of, member_by_phone, member_of
from menus.engine import Finish, Reprompt
from menus.screens import End, Input, Invalid, Pin

ID_CHECKED = "reset_id_checked"


def member_has_asked(ctx, _member_id):
    """After the phone: the member must have asked for a reset (else the session ends with why)."""
    try:
        ctx.services.pin_resets.check_approvable(member_of(ctx))
    except MemberError as error:
        return Finish(error.message)
    return None


def check_member_id(ctx, raw):
    try:
        ctx.services.pin_resets.check_id(member_of(ctx), raw)
    except MemberError as error:
        raise Invalid(error.message) from None
    ctx.data[ID_CHECKED] = ctx.data["member_id"]


def approve_reset(ctx, pin):
    agent = agent_of(ctx)
    error = ctx.services.agents.check_pin(agent, pin)
    if error is not None:
        return Reprompt(error.message) if isinstance(error, WrongAgentPin) else Finish(error.message)
    if ctx.data.get(ID_CHECKED) != ctx.data.get("member_id"):
        return Finish(T(N_("Cancelled. Nothing was changed.")))
    try:
        ctx.services.pin_resets.approve_by_agent(agent, member_of(ctx), id_checked=True, channel="ussd")
    except MemberError as error:
        return Finish(error.message)
    return None


SCREENS = [
    Input("agent_reset_phone", N_("Member's phone number:"), parse=member_by_phone, action=member_has_asked,
          next="agent_reset_id"),
    Input("agent_reset_id", lambda ctx: T(N_("{name}: enter the ID number from the ID card in hand:"),
                                          name=ctx.data["member_name"]),
          action=check_member_id, sensitive=True, next="agent_reset_pin"),
    Pin("agent_reset_pin", lambda ctx: T(N_("Enter your agent PIN to approve a new PIN for {name}:"),
                                         name=ctx.data["member_name"]), action=approve_reset,
        next="agent_reset_done"),
    End("agent_reset_done", lambda ctx: T(N_("Approved. {name} gets a code by SMS and chooses a new PIN at the "
                                             "next dial."), name=ctx.data["member_name"])),
]

