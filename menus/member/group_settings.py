"""The chair's and treasurer's group settings from the phone: the late fine.

Fine -> PIN -> confirm, like the roles screens. `1` removes the fine (group_common.NO_FINE);
the rules (officials only, a valid amount) are the fines service's, asked again when
the official confirms, so one demoted meanwhile is refused, not served.
"""

from app.i18n import N_, T
from menus.member.group_common import current, final, fine_choice, fine_text, fines
from menus.member.pin_check import pin_check
from menus.screens import Confirm, End, Input, Pin


def fine_prompt(ctx):
    group = current(ctx)
    return T(N_("Now: {fine}. New late fine in {currency}:\n1. No fine\nOr type the fine"),
             fine=fine_text(group.fine), currency=group.currency)


def new_fine(ctx, raw):
    return fine_choice(ctx, raw, current(ctx).currency)


def set_fine(ctx):
    final(lambda: fines(ctx).set_late_fine(current(ctx), ctx.member, ctx.data["new_fine"]))


def fine_words(ctx):
    return dict(group=current(ctx).name, fine=fine_text(ctx.data["new_fine"]))


SCREENS = [
    Input("group_fine", fine_prompt, key="new_fine", parse=new_fine, next="group_fine_pin"),
    Pin("group_fine_pin", N_("Enter your PIN:"), action=pin_check, next="group_fine_confirm"),
    Confirm("group_fine_confirm", lambda ctx: T(N_("Set {group}: {fine} for each missed meeting?"),
                                                **fine_words(ctx)),
            on_yes=set_fine, next="group_fine_set"),
    End("group_fine_set", lambda ctx: T(N_("{group}: {fine} from the next missed meeting."), **fine_words(ctx))),
]
