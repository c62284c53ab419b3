"""The agent menu tree: a field agent's market day from a basic phone (AGENT_USSD_CODE).

The agent logs in with their own PIN (not a member PIN). Every cash transaction
asks the member's phone number, shows the member's name for the agent to check,
then the amount (limits checked there), one confirmation and the agent's PIN again
(menus/agent_cash.py); the agent service posts one ledger entry and SMSes the member
a receipt. A refusal after the PIN (a race) ends the session with the reason and
writes nothing. Looking (float, today's collections) returns to the menu. Session
data holds ids and minor units only.
"""

from app.agents.errors import AgentError
from app.i18n import LANGUAGE_NAMES, N_, T
from app.members.errors import MemberError
from app.members.identity import mask
from app.phones import InvalidPhone, normalize_phone
from menus import agent_pin_reset, agent_verify
from menus.agent_cash import agent_amount, agent_of, agent_pin_check, amount_of, cash_flow, refused
from menus.engine import Finish
from menus.movement import confirmation
from menus.screens import Branch, Confirm, End, Input, Invalid, Menu, Option, Paged, Pin
from menus.tree import MenuTree

NOT_AN_AGENT = T(N_("This number is not registered as a Pamoja agent."))
CANCELLED = End("agent_cancelled", N_("Cancelled. Nothing was changed."))


def route_agent(ctx):
    agent = ctx.services.agents.by_phone(ctx.phone)
    if agent is None:
        return Finish(NOT_AN_AGENT)
    ctx.data["agent_id"] = agent.id
    ctx.state.locale = agent.locale
    return "ok"


def agent_login(ctx, pin):
    refused_pin = agent_pin_check(ctx, pin)
    if refused_pin is not None:
        return refused_pin
    ctx.state.authenticated = True
    return "ok"


# -- registering a member -----------------------------------------------------------------------


def new_member_phone(ctx, raw):
    try:
        phone = normalize_phone(raw, ctx.services.config["DEFAULT_REGION"])
    except InvalidPhone:
        raise Invalid(T(N_("Enter a valid mobile number, like 0712345678."))) from None
    if ctx.services.members.by_phone(phone) is not None:
        raise Invalid(T(N_("This number is already registered.")))
    return phone


def member_rule(rule):
    def parse(ctx, raw):
        try:
            return getattr(ctx.services.members, rule)(raw)
        except MemberError as error:
            raise Invalid(error.message) from None

    return parse


MEMBER_LANGUAGES = {"1": "en", "2": "sw"}
"""The new member's own language (their SMS and menus), not the agent's."""


def member_language(ctx, raw):
    if raw.strip() not in MEMBER_LANGUAGES:
        raise Invalid(T(N_("Reply 1 for English or 2 for Kiswahili.")))
    return MEMBER_LANGUAGES[raw.strip()]


def register_member(ctx):
    try:
        ctx.services.agents.register_member(agent_of(ctx), phone=ctx.data["new_phone"], name=ctx.data["new_name"],
                                            national_id=ctx.data["new_id"], locale=ctx.data["new_locale"])
    except (AgentError, MemberError) as error:
        refused(error)


# -- float, collections, top-up -----------------------------------------------------------------


def float_lines(ctx):
    return [T(N_("Your float: {amount}"), amount=ctx.services.agent_float.balance(agent_of(ctx)))]


def todays_lines(ctx):
    agent = agent_of(ctx)
    return [T(N_("{time} {receipt} {amount}"), time=row.created_at.astimezone(ctx.services.clock.zone)
              .strftime("%H:%M"), receipt=row.receipt, amount=row.amount)
            for row in ctx.services.agent_reports.transactions_on(agent)]


def todays_title(ctx):
    agent = agent_of(ctx)
    return T(N_("Today: {count} for {total}"), count=len(ctx.services.agent_reports.transactions_on(agent)),
             total=ctx.services.agent_reports.collected_today(agent))


def start_topup(ctx):
    agent = agent_of(ctx)
    try:
        ctx.services.agent_float.start_topup(agent, amount_of(ctx), idempotency_key=ctx.idempotency_key(
            f"agent{agent.id}_topup"), session_ref=ctx.session_ref)
    except Exception as error:  # noqa: BLE001 - payment refusals carry .message
        if not hasattr(error, "message"):
            raise
        refused(error)


SCREENS = [
    Branch("agent_entry", decide=route_agent, next="agent_login"),
    Pin("agent_login", N_("Pamoja Agent. Enter your agent PIN:"), action=agent_login, next="agent_main"),
    Menu("agent_main", N_("Pamoja Agent"), home=True, options=[
        Option(N_("Register member"), "agent_register_phone"),
        Option(N_("Cash deposit"), "agent_deposit_phone"),
        Option(N_("Loan repayment"), "agent_repayment_phone"),
        Option(N_("Group contribution"), "agent_contribution_phone"),
        Option(N_("My float"), "agent_float"),
        Option(N_("Today's collections"), "agent_today"),
        Option(N_("Top up float"), "agent_topup_amount"),
        Option(N_("More"), "agent_more"),
    ]),
    Menu("agent_more", N_("Pamoja Agent: members"), options=[
        Option(N_("Reset a member's PIN"), "agent_reset_phone"),
        Option(N_("Verify a member"), "agent_verify_phone"),
    ]),
    *cash_flow("deposit", N_("Member's phone number:")),
    *cash_flow("repayment", N_("Member's phone number:")),
    *cash_flow("contribution", N_("Member's phone number:")),
    End("agent_done", lambda ctx: T(N_("Done. Receipt {receipt}. The member gets an SMS."),
                                    receipt=ctx.data.get("receipt", ""))),
    Input("agent_register_phone", N_("New member's phone number:"), parse=new_member_phone, key="new_phone",
          next="agent_register_name"),
    Input("agent_register_name", N_("Member's full name:"), parse=member_rule("clean_name"), key="new_name",
          next="agent_register_id"),
    Input("agent_register_id", N_("Member's national ID number:"), parse=member_rule("clean_national_id"),
          key="new_id", next="agent_register_language"),
    Input("agent_register_language", N_("Member's language:\n1. English\n2. Kiswahili"), parse=member_language,
          key="new_locale", next="agent_register_confirm"),
    Confirm("agent_register_confirm", lambda ctx: T(N_("Register {name}, ID {national_id}, {phone}, {language}?"),
                                                    name=ctx.data["new_name"], national_id=mask(ctx.data["new_id"]),
                                                    phone=ctx.data["new_phone"],
                                                    language=LANGUAGE_NAMES[ctx.data["new_locale"]]),
            on_yes=register_member, next="agent_registered", cancel="agent_cancelled"),
    End("agent_registered", N_("Registered. The member gets an SMS and sets a PIN on first dial.")),
    Paged("agent_float", N_("My float"), items=float_lines, next="agent_main"),
    Paged("agent_today", todays_title, items=todays_lines, next="agent_main", empty=N_("No collections yet today.")),
    Input("agent_topup_amount", N_("Top-up amount:"), parse=agent_amount, next="agent_topup_confirm"),
    *confirmation("agent_topup", title=lambda ctx: T(N_("Top up float from your mobile money")),
                  to=lambda ctx: T(N_("My float")), amount=amount_of, run=start_topup, pin_check=agent_pin_check,
                  next="agent_topup_started", pin_prompt=N_("Enter your agent PIN to confirm:"),
                  cancel="agent_cancelled"),
    End("agent_topup_started", N_("Check your phone and enter your mobile money PIN to pay.")),
    *agent_pin_reset.SCREENS,
    *agent_verify.SCREENS,
    CANCELLED,
]

AGENT_TREE = MenuTree("agent", start="agent_entry", home="agent_main", screens=SCREENS)
