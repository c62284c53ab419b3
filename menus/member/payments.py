"""Payments: send money to another member, and the history of payments and transfers.

Send money keeps the one order of every movement (menus/movement.py): the amount
(limits, balance and fee checked there), the recipient (checked there: a member, not
oneself, their limits), then one confirmation with the recipient's first name and
initial ("Jane W."), amount, fee and total, then the PIN. Every number asked about
counts against the member's hourly look-ups (app/members/lookups.py), so Send money
is not a directory. The transfer is one ledger
entry under the confirmation's idempotency key. A valid number that is not on Pamoja
is offered an invitation SMS (rule in app/members/invitations.py).
"""

from app.i18n import N_, ShortDate, T
from app.members.lookups import TooManyLookups
from app.members.names import short_name
from app.phones import masked
from app.savings.errors import SavingsError, UnknownRecipient
from menus.member.amount_input import amount_with
from menus.member.pin_check import pin_check
from menus.member.savings import move_money
from menus.movement import confirmation
from menus.screens import Branch, End, Input, Invalid, Menu, Option, Paged, Stop

STATE_LABELS = {
    "initiated": N_("pending"), "pending": N_("pending"), "in_doubt": N_("pending"), "review": N_("in review"),
    "succeeded": N_("done"), "failed": N_("failed"), "timed_out": N_("failed"), "reversed": N_("reversed"),
}
"""A payment's state in the words a member uses."""


def find_recipient(ctx, raw):
    """The member's phone; a valid number not on Pamoja is kept too, for the invitation offer."""
    ctx.data["recipient_name"] = None
    try:
        ctx.services.recipient_lookups.count(ctx.member)
    except TooManyLookups as error:
        raise Stop(error.message) from None
    try:
        recipient = ctx.services.savings.recipient(ctx.member, raw)
    except UnknownRecipient as error:
        invitee = ctx.services.invitations.invitable(ctx.member, raw)
        if invitee is None:
            raise Invalid(error.message) from None
        return invitee
    except SavingsError as error:
        raise Invalid(error.message) from None
    ctx.data["recipient_name"] = short_name(recipient.name)
    return recipient.phone


def registered_or_not(ctx, phone):
    """A member: their limits checked now, while another number can still be typed; else the invitation."""
    if not ctx.data.get("recipient_name"):
        return "unregistered"
    try:
        ctx.services.savings.check_transfer(ctx.member, phone, ctx.data["amount"])
    except SavingsError as error:
        raise Invalid(error.message) from None
    return "ok"


def send_invitation(ctx):
    return "ok" if ctx.services.invitations.invite(ctx.member, ctx.data["recipient"]) else "already"


def check_sending(ctx, amount):
    ctx.data["fee"] = ctx.services.savings.check_sending(ctx.member, amount)


def transfer(ctx):
    return move_money(ctx, lambda: ctx.services.savings.transfer(
        ctx.member, ctx.data["recipient"], ctx.data["amount"], ctx.idempotency_key("transfer"),
        channel=ctx.state.channel, session_ref=ctx.session_ref))


def history_lines(ctx):
    return [T(N_("{date} {kind} {amount} {state}"), date=ShortDate(row.when.astimezone(ctx.services.clock.zone)),
              kind=row.kind, amount=row.amount, state=T(STATE_LABELS.get(row.state, N_("pending"))))
            for row in ctx.services.savings.history(ctx.member, limit=10)]


SCREENS = [
    Menu("payments", N_("Payments"), options=[
        Option(N_("Send money"), "pay_amount"),
        Option(N_("Payment history"), "pay_history"),
    ]),
    Input("pay_amount", N_("Amount to send:"), key="amount", parse=amount_with(check_sending), next="pay_recipient"),
    Input("pay_recipient", N_("Recipient phone number:"), key="recipient", parse=find_recipient,
          action=registered_or_not, next={"ok": "pay_confirm", "unregistered": "pay_invite_offer"}),
    Menu("pay_invite_offer", lambda ctx: T(N_("{phone} is not registered with Pamoja."),
                                           phone=ctx.data["recipient"]), options=[
        Option(N_("Invite them by SMS"), "pay_invite"),
        Option(N_("Try another number"), "pay_recipient"),
    ]),
    Branch("pay_invite", decide=send_invitation, next={"ok": "pay_invited", "already": "pay_invited_already"}),
    End("pay_invited", lambda ctx: T(N_("We sent {phone} an invitation to join Pamoja."),
                                     phone=ctx.data["recipient"])),
    End("pay_invited_already", lambda ctx: T(N_("You already invited {phone} today."), phone=ctx.data["recipient"])),
    *confirmation("pay", title=lambda ctx: T(N_("Send money")),
                  to=lambda ctx: T(N_("{name} {phone}"), name=ctx.data["recipient_name"],
                                   phone=masked(ctx.data["recipient"])),
                  run=transfer, pin_check=pin_check, next="pay_sent"),
    End("pay_sent", lambda ctx: T(N_("Sent {amount} to {name}"), amount=ctx.data["amount"],  # the name ends "W."
                                  name=ctx.data["recipient_name"])),
    Paged("pay_history", N_("Recent payments"), items=history_lines, next="main", empty=N_("No payments yet.")),
]
