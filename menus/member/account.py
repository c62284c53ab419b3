"""My account: profile, change PIN, change language, mobile money number, where notifications come."""

from app.i18n import LANGUAGE_NAMES, N_, T
from app.members.errors import MemberError
from app.phones import masked
from menus.member.onboarding import choose_language, new_pin_digest, repeated_pin_matches
from menus.member.pin_check import pin_check
from menus.screens import End, Input, Invalid, Menu, Option, Paged, Pin


def profile_lines(ctx):
    member = ctx.member
    return [
        T(N_("Name: {name}"), name=member.name),
        T(N_("Phone: {phone}"), phone=masked(member.phone)),
        T(N_("ID: {national_id}"), national_id=ctx.services.members.masked_national_id(member)),
        T(N_("Language: {language}"), language=LANGUAGE_NAMES[member.locale]),
        T(N_("Notifications: {channel}"), channel=CHANNEL_NAMES[member.preferred_channel]),
        T(N_("Member since {date}"), date=member.created_at.astimezone(ctx.services.clock.zone).date()),
    ]


def remember_changed_pin(ctx, pin):
    """First entry of the new PIN: weak or the current PIN is refused here, before the repeat."""
    try:
        ctx.services.members.check_changed_pin(ctx.member, pin)
    except MemberError as error:
        raise Invalid(error.message) from None
    ctx.data["pin_digest"] = new_pin_digest(ctx, pin)


def change_pin(ctx, pin):
    if not repeated_pin_matches(ctx, pin):
        return "mismatch"
    ctx.services.members.set_pin(ctx.member, pin)
    return "ok"


CHANNELS = {"1": "sms", "2": "whatsapp"}
CHANNEL_NAMES = {"sms": "SMS", "whatsapp": "WhatsApp"}
"""Names of the channels, the same in every language."""


def notifications_prompt(ctx):
    return T(N_("Notifications come by {channel}. Choose:\n1. SMS\n2. WhatsApp"),
             channel=CHANNEL_NAMES[ctx.member.preferred_channel])


def choose_channel(ctx, raw):
    if raw not in CHANNELS:
        raise Invalid(T(N_("Reply 1 for SMS or 2 for WhatsApp.")))
    return CHANNELS[raw]


def change_channel(ctx, channel):
    ctx.services.members.set_preferred_channel(ctx.member, channel)
    ctx.notice = T(N_("Notifications will come by {channel}."), channel=CHANNEL_NAMES[channel])


def change_language(ctx, locale):
    ctx.services.members.set_locale(ctx.member, locale)
    ctx.notice = T(N_("Language changed."))


SCREENS = [
    Menu("account", N_("My account"), options=[
        Option(N_("My profile"), "profile"),
        Option(N_("Change PIN"), "pin_old"),
        Option(N_("Language"), "language_change"),
        Option(N_("Mobile money number"), "momo_number"),
        Option(N_("Notifications"), "notify_channel"),
    ]),
    Paged("profile", N_("My profile"), items=profile_lines, next="main"),
    Pin("pin_old", N_("Enter your current PIN:"), action=pin_check, next="pin_new"),
    Pin("pin_new", N_("Enter a new 4-digit PIN:"), action=remember_changed_pin, next="pin_new_confirm"),
    Pin("pin_new_confirm", N_("Enter the new PIN again:"), action=change_pin,
        next={"ok": "pin_changed", "mismatch": "pin_new"}),
    End("pin_changed", N_("Your PIN has been changed.")),
    Input("language_change", N_("Choose language:\n1. English\n2. Kiswahili"), parse=choose_language,
          action=change_language, next="main"),
    Input("notify_channel", notifications_prompt, parse=choose_channel, action=change_channel, next="main"),
]
