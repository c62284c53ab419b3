"""The share-out from the phone (chair or treasurer): what goes to how many members, confirm -> PIN -> done.

The plan and its rules are app/groups/share_out.py's: a refusal (a payout waiting,
nothing to share) ends the session with the reason before anything is confirmed, and
the service plans again under its locks when the official confirms.
"""

from app.groups.errors import GroupError
from app.i18n import N_, T, ngettext
from menus.engine import Finish
from menus.member.group_common import current, final, share_outs
from menus.member.pin_check import pin_check
from menus.screens import Branch, Confirm, End, Pin


def prepare_share_out(ctx):
    try:
        plan = share_outs(ctx).plan(current(ctx), ctx.member)
    except GroupError as error:
        return Finish(error.message)
    ctx.data["share_out_total"] = plan.total
    ctx.data["share_out_count"] = sum(1 for part in plan.parts if part.amount)
    return "ok"


def share_out_prompt(ctx):
    count = ctx.data["share_out_count"]
    return ngettext("Share out {amount} of {group} into the savings of {count} member? Each gets an SMS.",
                    "Share out {amount} of {group} into the savings of {count} members? Each gets an SMS.", count,
                    amount=ctx.data["share_out_total"], group=current(ctx).name, count=count)


def share_out_after_pin(ctx, pin):
    refused = pin_check(ctx, pin)
    if refused is not None:
        return refused
    final(lambda: share_outs(ctx).share_out(current(ctx), ctx.member, ctx.idempotency_key("share_out"),
                                            channel=ctx.state.channel, session_ref=ctx.session_ref))
    return None


SCREENS = [
    Branch("group_share_out", decide=prepare_share_out, next="group_share_out_confirm"),
    Confirm("group_share_out_confirm", share_out_prompt, next="group_share_out_pin"),
    Pin("group_share_out_pin", N_("Enter your PIN:"), action=share_out_after_pin, next="group_shared_out"),
    End("group_shared_out", lambda ctx: T(N_("{amount} of {group} is shared out."),
                                          amount=ctx.data["share_out_total"], group=current(ctx).name)),
]
