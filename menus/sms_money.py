"""What each SMS money command does: the same service calls the USSD menus make.

A handler is `handler(services, member, args, ref, *, confirmed) -> Text`. Commands
that move money out return a one-time code until `confirmed`; the confirmed run
uses the code's reference in its idempotency key, so a repeated YES cannot pay twice.
Domain refusals are raised with a translated `message` and become the reply.
"""

from app.amount_mistakes import amount_mistake
from app.groups.errors import UnknownGroupCode
from app.i18n import N_, T
from app.members.names import short_name
from app.money import AmountError, parse_amount
from app.phones import InvalidPhone, normalize_phone
from app.savings.errors import UnknownRecipient

CHANNEL = "sms"
CONFIRMED = "yes"

BALANCE = N_("Your savings balance is {amount}.")
STATEMENT_EMPTY = T(N_("No movements yet."))
STATEMENT_HEAD = T(N_("Last movements:"))
STATEMENT_LINE = N_("{date} {kind} {amount}")
APPROVE_ON_PHONE = N_("Approve the payment of {amount} on your phone with your mobile money PIN.")
CODE_WITHDRAW = N_("Reply YES {code} to withdraw {amount} (fee {fee}). The code expires in {minutes} min.")
CODE_TRANSFER = N_("Reply YES {code} to send {amount} to {name} (fee {fee}). The code expires in {minutes} min.")
CODE_INVITE = N_("{phone} is not registered with Pamoja. Reply YES {code} to invite them by SMS. "
                 "The code expires in {minutes} min.")
INVITED = N_("We sent {phone} an invitation to join Pamoja.")
ALREADY_INVITED = N_("You already invited {phone} today.")
WITHDRAWN = N_("{amount} is on its way to your mobile money.")
JOINED = N_("You asked to join {group}. The chair will approve you.")
LOAN_BALANCE = N_("You owe {amount} on your loan.")
LOAN_BALANCE_NEXT = N_("You owe {amount} on your loan. Next: {left} by {date}.")
LOAN_BALANCE_PART_PAID = N_("You owe {amount} on your loan. Next: {left} by {date} (paid {paid} of {due}).")
NO_LOAN = T(N_("You have no loan."))
NUMBER_FIRST = T(N_("Put the phone number first, then the amount, like SEND 0712345678 100."))


class BadArgument(ValueError):
    """An argument the member typed is unusable; `message` is the reply."""

    def __init__(self, message):
        super().__init__(message.msgid)
        self.message = message


def amount_of(services, member, raw):
    """The typed amount in the member's currency, in units their mobile money carries (as on USSD)."""
    try:
        return parse_amount(raw, member.currency, multiple_of=services.operator_units.of(member.currency))
    except AmountError as error:
        raise BadArgument(amount_mistake(error.reason)) from None


def ask_code(services, member, command_name, args, prompt, **params):
    """Hold `command_name args` for the member's YES and return the prompt carrying its code."""
    code = services.confirmations.issue(member.phone, " ".join([command_name, *args]))
    minutes = max(1, services.confirmations.ttl_seconds // 60)
    return T(prompt, code=code, minutes=minutes, **params)


def key(name, member, ref):
    return f"sms:{name}:{member.id}:{ref}"


def balance(services, member, args, ref, *, confirmed):
    return T(BALANCE, amount=services.savings.balance(member))


def statement(services, member, args, ref, *, confirmed):
    rows = services.savings.statement(member, limit=5)
    if not rows:
        return STATEMENT_EMPTY
    return [STATEMENT_HEAD] + [T(STATEMENT_LINE, date=row.date, kind=row.kind, amount=row.amount) for row in rows]


def deposit(services, member, args, ref, *, confirmed):
    amount = amount_of(services, member, args[0])
    services.savings.deposit(member, amount, key("deposit", member, ref), channel=CHANNEL, session_ref=f"sms:{ref}")
    return T(APPROVE_ON_PHONE, amount=amount)


def withdraw(services, member, args, ref, *, confirmed):
    savings = services.savings
    amount = amount_of(services, member, args[0])
    if not confirmed:  # every limit (KYC tier included) refuses before the code is sent
        return ask_code(services, member, "withdraw", args, CODE_WITHDRAW, amount=amount,
                        fee=savings.check_withdrawal(member, amount))
    savings.withdraw(member, amount, key("withdraw", member, ref), channel=CHANNEL, session_ref=f"sms:{ref}")
    return T(WITHDRAWN, amount=amount)


def is_phone(services, text):
    try:
        normalize_phone(text, services.config.get("DEFAULT_REGION", "KE"))
    except InvalidPhone:
        return False
    return True


def transfer(services, member, args, ref, *, confirmed):
    savings = services.savings
    if not is_phone(services, args[0]) and is_phone(services, args[1]):  # SEND 100 0712345678: say the order
        raise BadArgument(NUMBER_FIRST)
    amount = amount_of(services, member, args[1])
    if not confirmed:  # the YES runs the look-up the member already asked for
        services.recipient_lookups.count(member)
    try:
        recipient = savings.recipient(member, args[0])
    except UnknownRecipient:
        invitee = None if confirmed else services.invitations.invitable(member, args[0])
        if invitee is None:
            raise
        return ask_code(services, member, "invite", (invitee,), CODE_INVITE, phone=invitee)
    if not confirmed:
        return ask_code(services, member, "transfer", args, CODE_TRANSFER, amount=amount,
                        name=short_name(recipient.name), fee=savings.check_transfer(member, args[0], amount))
    entry = savings.transfer(member, args[0], amount, key("transfer", member, ref), channel=CHANNEL,
                             session_ref=f"sms:{ref}", tell_sender=False)  # this reply is the sender's confirmation
    return savings.sent_notice(entry, member, recipient, amount, savings.transfer_fee(amount))


def invite(services, member, args, ref, *, confirmed):
    """Only reached by YES <code> after SEND to a number not on Pamoja (no SMS keyword parses to it)."""
    sent = services.invitations.invite(member, args[0])
    return T(INVITED if sent else ALREADY_INVITED, phone=args[0])


def contribute(services, member, args, ref, *, confirmed):
    group = services.group_memberships.by_code(args[0])
    if group is None:
        raise UnknownGroupCode()
    payment = services.group_contributions.contribute_by_mobile_money(
        member, group, args[1], key("contribute", member, ref), channel=CHANNEL, session_ref=f"sms:{ref}")
    return T(APPROVE_ON_PHONE, amount=payment.amount)


def repay(services, member, args, ref, *, confirmed):
    amount = amount_of(services, member, args[0])
    services.loans.repay(member, amount, key("repay", member, ref), channel=CHANNEL, session_ref=f"sms:{ref}")
    return T(APPROVE_ON_PHONE, amount=amount)


def loan_balance(services, member, args, ref, *, confirmed):
    """What clears the loan today and the next instalment: what is left of it and, once part is paid, how much."""
    loan = services.loans.on_books(member)
    owed = services.loans.payoff(loan) if loan is not None else None
    if not owed:
        return NO_LOAN
    upcoming = next((row for row in services.loans.schedule(loan) if not row.paid), None)
    if upcoming is None:
        return T(LOAN_BALANCE, amount=owed)
    if not upcoming.total_paid_minor:
        return T(LOAN_BALANCE_NEXT, amount=owed, left=upcoming.remaining, date=upcoming.due_date)
    return T(LOAN_BALANCE_PART_PAID, amount=owed, left=upcoming.remaining, date=upcoming.due_date,
             paid=upcoming.total_paid, due=upcoming.total_due)


def join(services, member, args, ref, *, confirmed):
    group, _membership = services.group_memberships.join_by_code(member, args[0])
    return T(JOINED, group=group.name)


MONEY_COMMANDS = {
    "balance": balance, "statement": statement, "deposit": deposit, "withdraw": withdraw, "transfer": transfer,
    "invite": invite, "contribute": contribute, "repay": repay, "loan_balance": loan_balance,
    "join": join,
}
"""Command name -> handler; names are channels/sms_command_parser.py's ("invite" only follows a YES <code>).
`loan` is menus/sms_loan.py's (it builds on this module), added where the commands run (menus/sms_commands.py)."""
