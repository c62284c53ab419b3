"""Applying above the limit: the guarantors' phone numbers, typed on a keypad.

A keypad has no comma: numbers are separated by `*` or `#` (spaces and commas
work too, app/phones.py `split_phones`); `parse_guarantors` then checks each is
another member and that there are one to three, all different.
"""

from app.i18n import N_, T
from app.loans import errors
from app.phones import InvalidPhone, split_phones
from menus.screens import Invalid


def guarantors_prompt(ctx):
    return T(N_("Above your limit by {amount}. Enter 1 to 3 guarantor phone numbers, separated by *:"),
             amount=ctx.data["above_limit"])


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
