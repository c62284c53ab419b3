"""The agent's cash flows: member's phone -> name shown -> (group) -> amount -> confirm -> agent PIN -> receipt.

The one order of every movement (menus/movement.py), except that the member comes first:
the agent serves the member standing before them, and the member's KYC limits judge the
amount. The amount screen already refuses what the limits would refuse after "Yes"
(AgentCash.check), so the agent corrects the amount instead of starting over. The
confirmation names the member and, for a contribution, the group; the agent's own PIN
then moves the money (a phone left on the counter moves nothing).

One builder (`cash_flow`) makes the screens of each kind (deposit, loan repayment,
group contribution), so every agent transaction asks the same questions in the same
order. Session data holds ids and minor units only; a refusal ends the session with
the service's reason and the savepoint undoes anything written.
"""

from app.agents.errors import AgentError, WrongAgentPin
from app.i18n import N_, T
from app.members.errors import MemberError
from app.money import Money
from app.phones import masked
from menus.engine import Finish, Reprompt
from menus.member.amount_input import amount_in
from menus.movement import confirmation
from menus.screens import Input, Invalid, Paged, Stop


def agent_of(ctx):
    return ctx.services.agents.get(ctx.data["agent_id"])


def agent_pin_check(ctx, pin):
    """A Pin screen's check of the agent's PIN: None when right, again when wrong, the end when locked."""
    error = ctx.services.agents.check_pin(agent_of(ctx), pin)
    if error is None:
        return None
    return Reprompt(error.message) if isinstance(error, WrongAgentPin) else Finish(error.message)


def refused(error):
    """End the session with the service's reason; the savepoint undoes any write."""
    raise Stop(error.message)


def member_by_phone(ctx, raw):
    try:
        member = ctx.services.agents.member_for(agent_of(ctx), raw)
    except AgentError as error:
        raise Invalid(error.message) from None
    ctx.data["member_id"], ctx.data["member_name"] = member.id, member.name
    ctx.data["member_phone"] = masked(member.phone)
    return member.id


def agent_amount(ctx, raw):
    currency = agent_of(ctx).currency
    amount = amount_in(currency, raw, multiple_of=ctx.services.operator_units.of(currency))
    ctx.data["amount_minor"] = amount.minor
    return amount.minor


def checked_amount(kind):
    """The amount screen's parse for a cash flow: the amount, refused here (so the agent can type another)
    when the agent's limits or float, or a deposit's member KYC limits, would refuse it after "Yes"."""

    def parse(ctx, raw):
        minor = agent_amount(ctx, raw)
        try:
            ctx.services.agent_cash.check(agent_of(ctx), member_of(ctx), amount_of(ctx),
                                          into_savings=kind == "deposit")
        except AgentError as error:
            raise Invalid(error.message) from None
        return minor

    return parse


def amount_of(ctx):
    return Money(ctx.data["amount_minor"], agent_of(ctx).currency)


def member_of(ctx):
    return ctx.services.members.get(ctx.data["member_id"])


def transact(kind):
    """The Confirm action of a cash flow: call AgentCash, keep the receipt for the End screen."""

    def on_yes(ctx):
        services, agent = ctx.services, agent_of(ctx)
        options = {"idempotency_key": ctx.idempotency_key(f"agent{agent.id}_{kind}"), "channel": "ussd",
                   "session_ref": ctx.session_ref}
        try:
            if kind == "contribution":
                group = services.group_memberships.get(ctx.data["group_id"])
                row = services.agent_cash.contribution(agent, member_of(ctx), group, amount_of(ctx), **options)
            else:
                method = services.agent_cash.cash_deposit if kind == "deposit" else services.agent_cash.loan_repayment
                row = method(agent, member_of(ctx), amount_of(ctx), **options)
        except (AgentError, MemberError) as error:
            refused(error)
        except Exception as error:  # noqa: BLE001 - loans/groups/ledger refusals carry .message
            if not hasattr(error, "message"):
                raise
            refused(error)
        ctx.data["receipt"] = row.receipt

    return on_yes


def member_line(ctx):
    return T(N_("{name} ({phone})"), name=ctx.data["member_name"], phone=ctx.data["member_phone"])


def cash_title(kind):
    def title(ctx):
        if kind == "contribution":
            return T(N_("Cash contribution for {member}"), member=member_line(ctx))
        return T(title_of(kind))

    return title


def cash_to(kind):
    def to(ctx):
        if kind == "contribution":
            return ctx.services.group_memberships.get(ctx.data["group_id"]).name
        return member_line(ctx)

    return to


def cash_flow(kind, title):
    """Phone -> (group) -> amount -> confirm -> agent PIN -> done, for one kind of cash transaction."""
    after_phone = f"agent_{kind}_group" if kind == "contribution" else f"agent_{kind}_amount"
    screens = [
        Input(f"agent_{kind}_phone", title, parse=member_by_phone, key="member_id", next=after_phone),
        Input(f"agent_{kind}_amount",
              lambda ctx: T(N_("{name} ({phone})\nAmount in cash:"), name=ctx.data["member_name"],
                            phone=ctx.data["member_phone"]),
              parse=checked_amount(kind), next=f"agent_{kind}_confirm"),
        *confirmation(f"agent_{kind}", title=cash_title(kind), to=cash_to(kind), amount=amount_of,
                      run=transact(kind), pin_check=agent_pin_check, next="agent_done",
                      pin_prompt=N_("Enter your agent PIN to confirm:"), cancel="agent_cancelled"),
    ]
    if kind == "contribution":
        screens.append(Paged("agent_contribution_group", N_("Choose the group:"), items=member_groups,
                             select=choose_group, next="agent_contribution_amount",
                             empty=N_("This member is in no group.")))
    return screens


TITLES = {"deposit": N_("Cash deposit"), "repayment": N_("Cash loan repayment"),
          "contribution": N_("Cash contribution")}


def title_of(kind):
    return TITLES[kind]


def member_groups(ctx):
    return [(group.name, group.id) for group in ctx.services.agent_cash.member_groups(member_of(ctx))]


def choose_group(ctx, item):
    ctx.data["group_id"] = item[1]
    return "ok"


