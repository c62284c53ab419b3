"""Arriving: choose a language and register, or greet a known member and ask the PIN.

Nothing personal is shown before the PIN: the caller of a registered number sees a
PIN screen (an unregistered one the registration), but no name and not the member's
language. Screens before the PIN are in the default language; the member's own
language applies once the PIN is right (`signed_in`). A new PIN is typed twice; between the
two hops the session keeps only a keyed digest of the first entry, never the PIN.
"""

from app.i18n import N_, T
from app.members.errors import MemberError, PinLocked
from app.members.pin_hashing import pin_digest_for_session
from app.secrets import NEW_PIN_DIGEST, app_key
from menus.member.pin_check import pin_check
from menus.member.pin_reset import FORGOT_PIN, RESET_SCREENS
from menus.screens import Branch, Input, Invalid, Menu, Option, Pin

LANGUAGE_CHOICES = {"1": "en", "2": "sw"}


def route_arrival(ctx):
    if ctx.member_read:
        member = ctx.member
        awaiting = member is not None and ctx.services.pin_resets.awaiting_code(member)
    else:  # a dial: the member and a reset awaiting its code in one statement
        member, awaiting = ctx.services.pin_resets.at_dial(ctx.phone)
        ctx.adopt_member(member)  # keeps the member's id in the session, not yet their language (blocked: ends here)
    if member is None:
        return "new"
    if awaiting:
        return "reset"
    if ctx.services.members.locked_minutes_left(member):
        return "locked"
    return "first_pin" if member.needs_pin else "known"


def locked_text(ctx):
    member = ctx.member
    minutes = ctx.services.members.locked_minutes_left(member)
    return PinLocked(member.pin_locked_until, max(minutes, 1)).message


def choose_language(ctx, raw):
    if raw not in LANGUAGE_CHOICES:
        raise Invalid(T(N_("Reply 1 for English or 2 for Kiswahili.")))
    ctx.state.locale = LANGUAGE_CHOICES[raw]
    return ctx.state.locale


def member_rule(rule_name):
    """A screen parser applying one of the member service's rules, with its translated error."""

    def parse(ctx, raw):
        try:
            return getattr(ctx.services.members, rule_name)(raw)
        except MemberError as error:
            raise Invalid(error.message) from None

    return parse


def remember_new_pin(ctx, pin):
    """First entry of a new PIN: check it, keep only a keyed digest for the repeat."""
    try:
        ctx.services.members.check_new_pin(pin)
    except MemberError as error:
        raise Invalid(error.message) from None
    ctx.data["pin_digest"] = new_pin_digest(ctx, pin)


def new_pin_digest(ctx, pin):
    """Keyed with its own derived key: the PIN pepper keys PIN hashes only (app/secrets.py)."""
    return pin_digest_for_session(pin, app_key(ctx.services.config, NEW_PIN_DIGEST).hex(), ctx.session_ref)


def repeated_pin_matches(ctx, pin):
    """True when the second entry equals the first; a mismatch restarts the pair."""
    if ctx.data.pop("pin_digest", None) == new_pin_digest(ctx, pin):
        return True
    ctx.notice = T(N_("The PINs did not match. Try again."))
    return False


def register(ctx, pin):
    if not repeated_pin_matches(ctx, pin):
        return "mismatch"
    try:
        member = ctx.services.members.register(
            phone=ctx.phone, name=ctx.data["name"], national_id=ctx.data["national_id"],
            locale=ctx.locale, pin=pin,
        )
    except MemberError as error:
        raise Invalid(error.message) from None
    ctx.set_member(member)
    ctx.state.authenticated = True
    ctx.notice = T(N_("Welcome, {name}! You are registered."), name=member.name)
    return "ok"


def signed_in(ctx):
    """The PIN was right: the session is the member's, in their language."""
    ctx.state.authenticated = True
    ctx.state.locale = ctx.member.locale


def login(ctx, pin):
    """The dial-in PIN (arrival already sent PIN-less members to set one)."""
    refused = pin_check(ctx, pin)
    if refused is None:
        signed_in(ctx)
    return refused


def set_first_pin(ctx, pin):
    if not repeated_pin_matches(ctx, pin):
        return "mismatch"
    ctx.services.members.set_pin(ctx.member, pin)
    signed_in(ctx)
    ctx.notice = T(N_("Your PIN is set."))
    return "ok"


SCREENS = [
    Branch("entry", decide=route_arrival, next={"new": "language", "known": "login", "first_pin": "first_pin",
                                                "reset": "reset_code", "locked": "locked"}),
    Menu("locked", locked_text, options=[Option(N_("Forgot PIN"), "forgot_pin"), Option(N_("Exit"), "goodbye")]),
    Input("language", N_("Karibu Pamoja! Welcome!\n1. English\n2. Kiswahili"), key="locale",
          parse=choose_language, next="reg_name"),
    Input("reg_name", N_("Enter your full name:"), key="name", parse=member_rule("clean_name"), next="reg_id"),
    Input("reg_id", N_("Enter your national ID number:"), key="national_id",
          parse=member_rule("clean_national_id"), next="reg_pin"),
    Pin("reg_pin", N_("Choose a 4-digit PIN:"), action=remember_new_pin, next="reg_pin_confirm"),
    Pin("reg_pin_confirm", N_("Enter the PIN again:"), action=register, next={"ok": "main", "mismatch": "reg_pin"}),
    Pin("login", N_("Welcome to Pamoja. Enter your PIN:\n(Forgot PIN? Reply #)"), action=login, next="main",
        escapes={FORGOT_PIN: "forgot_pin"}),
    Pin("first_pin", N_("Welcome to Pamoja. Choose a 4-digit PIN:"), action=remember_new_pin,
        next="first_pin_confirm"),
    Pin("first_pin_confirm", N_("Enter the PIN again:"), action=set_first_pin,
        next={"ok": "main", "mismatch": "first_pin"}),
    *RESET_SCREENS,
]
