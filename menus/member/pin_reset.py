"""Forgot PIN, from the member's side: ask for a reset, then set a new PIN with the SMS code.

`#` on the dial-in PIN screen (or "Forgot PIN" on the locked screen) only opens a
request (app/members/pin_reset.py); an agent or support approves it. After that, the
member's next dial starts at `reset_code`: the code from the SMS, then a new PIN
twice. The session keeps only the request id once the code is right, never the
code or the PIN.
"""

from app.i18n import N_, T
from app.members.errors import MemberError
from app.one_time_codes import CodeError, WrongCode
from menus.engine import Finish, Reprompt
from menus.screens import Branch, End, Input, Pin

FORGOT_PIN = "#"
"""What the member types on the PIN screen for "Forgot PIN" (never a PIN: PINs are 4 digits)."""

REQUEST_KEY = "reset_request"
CODE_GONE = T(N_("That code no longer works. Dial again and choose Forgot PIN to ask again."))
REQUESTED = N_("PIN reset requested. Visit a Pamoja agent with your ID card, or wait for our call. Then you get "
               "a code by SMS.")
ALREADY_OPEN = N_("Your PIN reset request is already open. Visit a Pamoja agent with your ID card, or wait for "
                  "our call.")
CHANNELS = {"ussd": "ussd", "whatsapp": "whatsapp"}


def channel_of(ctx):
    """The audit channel of this session (the simulator's sessions count as USSD)."""
    return CHANNELS.get(ctx.state.channel, "ussd")


def ask_for_reset(ctx):
    _request, created = ctx.services.pin_resets.request(ctx.member, channel=channel_of(ctx))
    return "new" if created else "open"


def enter_reset_code(ctx, code):
    try:
        ctx.data[REQUEST_KEY] = ctx.services.pin_resets.redeem_code(ctx.member, code)
    except WrongCode as wrong:
        return Reprompt(wrong.message) if wrong.left else Finish(CODE_GONE)
    except CodeError:
        return Finish(CODE_GONE)
    return None


def remember_reset_pin(ctx, pin):
    from menus.member.onboarding import remember_new_pin

    return remember_new_pin(ctx, pin)


def complete_reset(ctx, pin):
    from menus.member.onboarding import repeated_pin_matches, signed_in

    if not repeated_pin_matches(ctx, pin):
        return "mismatch"
    try:
        ctx.services.pin_resets.complete(ctx.member, ctx.data.pop(REQUEST_KEY, None), pin, channel=channel_of(ctx))
    except MemberError as error:
        return Finish(error.message)
    signed_in(ctx)
    ctx.notice = T(N_("Your new PIN is set."))
    return "ok"


RESET_SCREENS = [
    Branch("forgot_pin", decide=ask_for_reset, next={"new": "reset_requested", "open": "reset_already_open"}),
    End("reset_requested", REQUESTED),
    End("reset_already_open", ALREADY_OPEN),
    Input("reset_code", N_("Enter the PIN reset code from our SMS:"), action=enter_reset_code, sensitive=True,
          next="reset_pin"),
    Pin("reset_pin", N_("Choose a new 4-digit PIN:"), action=remember_reset_pin, next="reset_pin_confirm"),
    Pin("reset_pin_confirm", N_("Enter the new PIN again:"), action=complete_reset,
        next={"ok": "main", "mismatch": "reset_pin"}),
]
