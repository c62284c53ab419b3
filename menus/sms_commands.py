"""SMS commands, run against the same domain services as the member menus.

The SMS channel parses a text into a command (name, arguments, keyword language) and
hands it here; `SmsCommands.answer` decides who may do what and returns the reply as
a translatable Text in the member's language. No PIN ever travels by SMS, so:

- commands that move money out (withdraw, transfer, loan) first answer with a
  one-time code (app/members/confirmations.py) and run only on `YES <code>`;
- deposits, repayments and contributions go straight to the mobile-money prompt,
  where the member's own mobile-money PIN confirms them;
- an unregistered number is invited to dial the USSD code, unless it answers
  `YES <code>` to a phone change staff started for it (app/members/access.py);
- a blocked account gets "Your account is blocked. Call ..." and a locked one the
  lock message (only STOP/START still work, opting out is always allowed; a locked
  member may also ask for a PIN reset: RESET PIN / NIMESAHAU PIN).
"""

from typing import NamedTuple

from app.i18n import LANGUAGE_NAMES, N_, T, Text
from app.members.errors import AccountBlocked, MemberError, PinLocked
from app.one_time_codes import CodeError
from menus.member.pin_reset import ALREADY_OPEN as PIN_RESET_OPEN
from menus.member.pin_reset import REQUESTED as PIN_RESET_REQUESTED
from menus.sms_loan import loan
from menus.sms_money import CONFIRMED
from menus.sms_money import MONEY_COMMANDS as SAVINGS_AND_REPAYMENT_COMMANDS

MONEY_COMMANDS = {**SAVINGS_AND_REPAYMENT_COMMANDS, "loan": loan}
"""Every money command's handler, by the parser's command name."""

HELP = {
    "en": T(N_("Pamoja SMS: BAL, MINI, SAVE 500, WITHDRAW 500, SEND 07xx 500, CONTRIBUTE code 500, "
               "LOAN 5000, REPAY 500, LOANBAL, JOIN code, LANG SW, STOP")),
    "sw": T(N_("Pamoja SMS: SALIO, TAARIFA, WEKA 500, TOA 500, TUMA 07xx 500, CHANGA kodi 500, "
               "MKOPO 5000, LIPA 500, DENI, JIUNGE kodi, LUGHA EN, SIMAMISHA")),
}
"""One GSM-7 segment each; which HELP is shown follows the member's language."""

UNKNOWN = T(N_("Sorry, we did not understand. Send HELP for the list of commands."))
USAGE = N_("Please send it like this: {example}")
NOT_REGISTERED = N_("Welcome to Pamoja! To join, dial {code} and register. Then send HELP by SMS.")
STOPPED = T(N_("You will no longer get reminders or offers by SMS. Replies to your requests still come. "
               "Send START to get them again."))
STARTED = T(N_("You will get reminders by SMS again. Send STOP to stop them."))
LANGUAGE_SET = N_("Language set to {language}.")
DISPUTED = N_("Pamoja: we received your dispute of receipt {receipt}. We will call you.")
"""The member's only acknowledgement of a dispute: the agents service notifies the agent alone."""

ALWAYS_ALLOWED = frozenset({"stop", "start"})
"""What a locked or blocked account may still do by SMS (a locked one may also ask for a PIN reset)."""
PHONE_CHANGED = N_("Confirmed. Your Pamoja account has moved to this number.")


class Answer(NamedTuple):
    """The reply to send: `text` (a Text) rendered in `locale`, to member `member_id` (None if unknown)."""

    text: object
    locale: str
    member_id: int | None = None


def dispute_receipt(services, member, args, ref, *, confirmed):
    transaction = services.agent_disputes.dispute(member, args[0])
    return T(DISPUTED, receipt=transaction.receipt)


class SmsCommands:
    def __init__(self, services, *, ussd_code, default_locale="en"):
        self.services = services
        self.ussd_code = ussd_code
        self.default_locale = default_locale

    def answer(self, phone, command, ref):
        """Answer one parsed SMS from `phone`; `ref` (the inbound message id) keys what it starts."""
        member = self.services.members.by_phone(phone)
        locale = member.locale if member else (command.language or self.default_locale)
        if member is None:
            moved = self._phone_change(phone, command)
            if moved is not None:
                return Answer(moved, locale)
            return Answer(T(NOT_REGISTERED, code=self.ussd_code), locale)
        try:
            self.services.members.check_active(member)
        except AccountBlocked as blocked:
            if command.name not in ALWAYS_ALLOWED:
                return Answer(blocked.message, locale, member.id)
        minutes = self.services.members.locked_minutes_left(member)
        if minutes and command.name not in ALWAYS_ALLOWED | {"pin_reset"}:
            return Answer(PinLocked(member.pin_locked_until, minutes).message, locale, member.id)
        text = self._run(member, command, ref)
        return Answer(text, member.locale, member.id)

    def _run(self, member, command, ref):
        name = command.name
        if name == "usage":
            return T(USAGE, example=command.args[0] if command.args else "HELP")
        if name == "help":
            return HELP.get(member.locale, HELP["en"])
        if name == "language":
            self.services.members.set_locale(member, command.args[0])
            return T(LANGUAGE_SET, language=LANGUAGE_NAMES[member.locale])
        if name in ("stop", "start"):
            self.services.members.set_sms_opt_out(member, name == "stop")
            return STOPPED if name == "stop" else STARTED
        if name == "confirm":
            return self._confirm(member, command.args[0], ref)
        if name == "pin_reset":
            _request, created = self.services.pin_resets.request(member, channel="sms")
            return T(PIN_RESET_REQUESTED if created else PIN_RESET_OPEN)
        if name == "dispute":  # the receipt SMS of every agent transaction tells the member to send this
            return self._guarded(dispute_receipt, member, command.args, ref, confirmed=False)
        handler = MONEY_COMMANDS.get(name)
        if handler is None:
            return UNKNOWN
        return self._guarded(handler, member, command.args, ref, confirmed=False)

    def _phone_change(self, phone, command):
        """`YES <code>` from a number that is not a member's yet: a phone change staff started, or None."""
        if command.name != "confirm" or self.services.member_access.pending_phone_change(phone) is None:
            return None
        try:
            self.services.member_access.confirm_phone_change_by_sms(phone, command.args[0])
        except (CodeError, MemberError) as error:
            return error.message
        return T(PHONE_CHANGED)

    def _confirm(self, member, code, ref):
        from app.members.confirmations import ConfirmationError

        try:
            redeemed = self.services.confirmations.redeem(member.phone, code)
        except ConfirmationError as error:
            return error.message
        name, *args = redeemed.payload.split()
        # One code, one movement: the code's own ref keys it, whichever message carried the YES.
        return self._guarded(MONEY_COMMANDS[name], member, tuple(args), f"{redeemed.ref}:{CONFIRMED}",
                             confirmed=True)

    def _guarded(self, handler, member, args, ref, *, confirmed):
        """Run a money command; a domain refusal (any error carrying a Text `message`) is the reply."""
        savepoint = self.services.session.begin_nested()
        try:
            reply = handler(self.services, member, args, ref, confirmed=confirmed)
        except Exception as error:
            savepoint.rollback()
            message = getattr(error, "message", None)
            if isinstance(message, Text):
                return message
            raise
        savepoint.commit()
        return reply
