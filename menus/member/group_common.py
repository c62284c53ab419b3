"""What the group screens share: the groups' collaborators, the chosen group, how refusals are shown.

A refusal from the service is shown on the same screen while the member is still
typing (`refused`), and ends the session once they have confirmed (`final`).
"""

from app.groups.errors import GroupError
from app.i18n import N_, T
from app.payments.errors import PaymentError
from menus.screens import Invalid, Stop

REFUSALS = (GroupError, PaymentError)
FREQUENCY_LABELS = {"weekly": N_("weekly"), "monthly": N_("monthly")}
WEEKDAYS = (N_("Monday"), N_("Tuesday"), N_("Wednesday"), N_("Thursday"), N_("Friday"), N_("Saturday"),
            N_("Sunday"))


NO_FINE = "1"
"""On a late-fine screen `1` means no fine: no group fines one shilling."""


def fine_choice(ctx, raw, currency):
    """A late-fine screen's answer: None for no fine (`1`), else the fine as Money (refused: re-prompt)."""
    if raw.strip() == NO_FINE:
        return None
    return refused(lambda: limits(ctx).check(raw, currency))


def fine_text(fine):
    """The late fine as members read it on a confirmation screen."""
    return T(N_("late fine {amount}"), amount=fine) if fine else T(N_("no late fine"))


def memberships(ctx):
    return ctx.services.group_memberships


def contributions(ctx):
    return ctx.services.group_contributions


def fines(ctx):
    return ctx.services.group_fines


def leaving(ctx):
    return ctx.services.group_leaving


def share_outs(ctx):
    return ctx.services.group_share_out


def arrears(ctx):
    return ctx.services.group_arrears


def payouts(ctx):
    return ctx.services.group_payouts


def limits(ctx):
    return ctx.services.group_limits


def current(ctx):
    return memberships(ctx).get(ctx.data["group_id"])


def refused(call):
    """Run a service call; its refusal re-prompts this screen with the reason."""
    try:
        return call()
    except REFUSALS as error:
        raise Invalid(error.message) from None


def final(call):
    """Run the confirmed service call; a refusal ends the session with the reason, nothing half-done."""
    try:
        return call()
    except REFUSALS as error:
        raise Stop(error.message) from None


def ends_on_refusal(items):
    """A list's items; if the member lost access meanwhile (left, demoted), end with the reason."""

    def listed(ctx):
        return final(lambda: items(ctx))

    return listed


def is_official(ctx):
    return memberships(ctx).is_official(current(ctx), ctx.member)


def frequency_text(frequency):
    return T(FREQUENCY_LABELS[frequency])


