"""Applying above the limit: the guarantors' phone numbers, typed on a keypad.

A keypad has no comma and people type spaces inside numbers, so `split_phones`
joins tokens until they make a number; `parse_guarantors` then checks each is
another member and that there are one to three, all different.
"""

from app.i18n import N_, T
from app.loans import errors
from app.phones import InvalidPhone, normalize_phone
from menus.screens import Invalid


def guarantors_prompt(ctx):
    return T(N_("Above your limit by {amount}. Enter 1 to 3 guarantor phone numbers, separated by spaces:"),
             amount=ctx.data["above_limit"])


def split_phones(raw, region):
    """Phone numbers typed one after another: "0722 000 111 0733123456" -> two E.164 numbers.

    Keypads have no comma, and people type spaces inside numbers too, so tokens are joined
    until they make a valid number that the next token would not extend. Raises InvalidPhone.
    """
    def valid(text):
        try:
            return normalize_phone(text, region)
        except InvalidPhone:
            return None

    tokens = raw.replace(",", " ").replace("#", " ").split()
    phones, current = [], ""
    for index, token in enumerate(tokens):
        current += token
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        if valid(current) and (following is None or not valid(current + following)):
            phones.append(valid(current))
            current = ""
    if current:
        raise InvalidPhone(current)
    return phones


def parse_guarantors(ctx, raw):
    members = ctx.services.members
    try:
        phones = split_phones(raw, ctx.services.config["DEFAULT_REGION"])
    except InvalidPhone as error:
        raise Invalid(T(N_("{phone} is not a phone number."), phone=str(error))) from None
    for phone in phones:
        guarantor = members.by_phone(phone)
        if guarantor is None or guarantor.id == ctx.member.id:
            raise Invalid(errors.BadGuarantor.message)
    if not phones or len(phones) > 3 or len(set(phones)) < len(phones):
        raise Invalid(errors.TooManyGuarantors.message)
    return phones
