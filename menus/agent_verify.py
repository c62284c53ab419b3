"""The agent's "Verify a member": the member present, their ID card in the agent's hand.

Member's phone -> name shown -> ID type -> ID number on the card -> confirm -> the agent's
PIN again (the verification is the agent's word) -> tier 2. The rules (the number must be
the one the member registered, or is recorded when they had none) are the KYC service's
(app/members/kyc/services.py); a refusal ends the session with its reason and writes
nothing. Session data holds ids, the ID type and the typed number until the PIN screen.
"""

from app.agents.errors import AgentError, WrongAgentPin
from app.i18n import N_, T
from app.members.errors import MemberError
from app.members.identity import mask
from app.members.kyc.errors import KycError
from app.members.kyc.tiers import ID_TYPES
from menus.agent_cash import agent_of, member_by_phone, member_of, refused
from menus.engine import Finish, Reprompt
from menus.screens import Confirm, End, Input, Invalid, Pin

ID_TYPE_CHOICES = dict(zip(("1", "2", "3"), ID_TYPES, strict=True))
"""What the agent types -> ID type (the order of ID_TYPES, as the prompt lists them)."""
ID_TYPE_PROMPT = N_("ID type sighted:\n1. National ID\n2. Passport\n3. Alien ID")


def choose_id_type(ctx, raw):
    if raw.strip() not in ID_TYPE_CHOICES:
        raise Invalid(T(N_("Reply 1, 2 or 3.")))
    return ID_TYPE_CHOICES[raw.strip()]


def id_number(ctx, raw):
    try:
        return ctx.services.members.clean_national_id(raw)
    except MemberError as error:
        raise Invalid(error.message) from None


def confirm_text(ctx):
    id_type_name = ID_TYPES[ctx.data["verify_id_type"]]
    return T(N_("Verify {name} ({phone}), {id_type} {number}? You confirm you saw the card."),
             name=ctx.data["member_name"], phone=ctx.data["member_phone"], id_type=T(id_type_name),
             number=mask(ctx.data["verify_id_number"]))


def verify_with_pin(ctx, pin):
    """The agent's PIN, then the verification; a wrong PIN asks again, any refusal ends the session."""
    agent = agent_of(ctx)
    error = ctx.services.agents.check_pin(agent, pin)
    if error is not None:
        return Reprompt(error.message) if isinstance(error, WrongAgentPin) else Finish(error.message)
    try:
        ctx.services.kyc.verify_by_agent(agent, member_of(ctx), ctx.data["verify_id_type"],
                                         ctx.data.pop("verify_id_number"), channel="ussd")
    except (KycError, MemberError, AgentError) as error:
        refused(error)
    return "ok"


SCREENS = [
    Input("agent_verify_phone", N_("Member's phone number:"), parse=member_by_phone, key="member_id",
          next="agent_verify_type"),
    Input("agent_verify_type", ID_TYPE_PROMPT, parse=choose_id_type, key="verify_id_type",
          next="agent_verify_number"),
    Input("agent_verify_number", lambda ctx: T(N_("{name}: ID number on the card:"), name=ctx.data["member_name"]),
          parse=id_number, key="verify_id_number", next="agent_verify_confirm"),
    Confirm("agent_verify_confirm", confirm_text, next="agent_verify_pin", cancel="agent_cancelled"),
    Pin("agent_verify_pin", N_("Enter your agent PIN to verify:"), action=verify_with_pin, next="agent_verified"),
    End("agent_verified", lambda ctx: T(N_("Verified. {name} can now use higher limits and gets an SMS."),
                                        name=ctx.data["member_name"])),
]
"""Reached from the agent menu's "Verify a member"; ends at agent_verified or agent_cancelled."""
