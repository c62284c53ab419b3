"""My account > Mobile money number: set another number (or network) for the member's mobile money, or remove it.

The rules (a code sent to the new number, payouts held, the SIM told) are
app/members/momo_numbers.py's; these screens only ask and show. The session keeps
the number and network being set, never the code.
"""

from app.i18n import N_, T
from app.members.momo_numbers import MomoNumberError
from app.one_time_codes import CodeError, WrongCode
from menus.engine import Finish, Reprompt
from menus.member.pin_reset import channel_of
from menus.screens import Confirm, End, Input, Invalid, Menu, Option

PHONE_KEY, NETWORK_KEY = "momo_phone", "momo_network"


def momo(ctx):
    return ctx.services.momo_numbers


def has_override(ctx):
    return momo(ctx).current(ctx.member) is not None


def momo_prompt(ctx):
    return [momo(ctx).describe(ctx.member), T(N_("Mobile money number"))]


def networks(ctx):
    return momo(ctx).networks_in(ctx.data[PHONE_KEY])


def send_code(ctx):
    try:
        momo(ctx).request(ctx.member, ctx.data[PHONE_KEY], ctx.data.get(NETWORK_KEY), channel=channel_of(ctx))
    except MomoNumberError as error:
        raise Invalid(error.message) from None
    return "sent"


def enter_phone(ctx, raw):
    try:
        ctx.data[PHONE_KEY] = momo(ctx).phone(raw)
    except MomoNumberError as error:
        raise Invalid(error.message) from None
    ctx.data.pop(NETWORK_KEY, None)
    return "choose" if len(networks(ctx)) > 1 else send_code(ctx)


def network_prompt(ctx):
    return [T(N_("Which network is its mobile money on?")), T(N_("1. As the number shows"))] + [
        T(N_("{number}. {network}"), number=number, network=name.capitalize())
        for number, name in enumerate(networks(ctx), start=2)]


def choose_network(ctx, raw):
    names = networks(ctx)
    if not (raw.isascii() and raw.isdigit() and 1 <= int(raw) <= len(names) + 1):
        raise Invalid(T(N_("Choose a number from the list.")))
    ctx.data[NETWORK_KEY] = names[int(raw) - 2] if int(raw) > 1 else None
    return send_code(ctx)


def enter_code(ctx, code):
    try:
        momo(ctx).confirm(ctx.member, code, channel=channel_of(ctx))
    except WrongCode as wrong:
        return Reprompt(wrong.message) if wrong.left else Finish(wrong.message)
    except CodeError as error:
        return Finish(error.message)
    return None


def set_prompt(ctx):
    row = momo(ctx).current(ctx.member)
    if row is not None and row.payouts_from > ctx.services.clock.now():
        return T(N_("Done. Your mobile money now uses that number. Payouts to it start after {hours} hours."),
                 hours=momo(ctx).hold_hours)
    return T(N_("Done. Your mobile money now uses that number."))


def remove(ctx):
    momo(ctx).remove(ctx.member, channel=channel_of(ctx))


SCREENS = [
    Menu("momo_number", momo_prompt, options=[
        Option(N_("Use another number"), "momo_phone"),
        Option(N_("Use this phone's number"), "momo_remove", visible=has_override),
    ]),
    Input("momo_phone", N_("Enter the number your mobile money is on:"), action=enter_phone,
          next={"choose": "momo_network", "sent": "momo_code"}),
    Input("momo_network", network_prompt, action=choose_network, next={"sent": "momo_code"}),
    Input("momo_code", N_("We sent a code by SMS to that number. Enter it:"), action=enter_code, sensitive=True,
          next="momo_set"),
    End("momo_set", set_prompt),
    Confirm("momo_remove", N_("Send your mobile money to this phone's number again?"),
            on_yes=remove, next="momo_removed"),
    End("momo_removed", N_("Done. Your mobile money goes to this phone's number.")),
]
