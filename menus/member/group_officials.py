"""The chair's and treasurer's screens: members with arrears, join requests, payouts.

Their options on `group_home` are hidden from other members (Option.visible); the
service checks the role again, so a member demoted mid-session is refused, not served.
Paying out keeps the one order of every movement (menus/movement.py): one confirmation
(amount, period, who receives it), then the official's PIN.
"""

from app.groups.errors import GroupError
from app.groups.models import ROLE_LABELS
from app.groups.periods import period_name
from app.i18n import N_, T
from menus.engine import Finish
from menus.member.group_common import (
    arrears,
    current,
    ends_on_refusal,
    final,
    is_official,
    memberships,
    payouts,
    refused,
)
from menus.member.pin_check import pin_check
from menus.movement import confirmation
from menus.screens import Branch, Confirm, End, Input, Invalid, Paged

DECISIONS = {"1": True, "2": False}


@ends_on_refusal
def member_lines(ctx):
    return [T(N_("{name}, {role}: due now {amount}"), name=person.name, role=T(ROLE_LABELS[row.role]),
              amount=arrears.total)
            for row, person, arrears in arrears(ctx).members_with_arrears(current(ctx), ctx.member)]


@ends_on_refusal
def joiner_items(ctx):
    return [(T(N_("{name} {phone}"), name=person.name, phone=person.phone), [person.id, person.name])
            for _row, person in memberships(ctx).pending_requests(current(ctx), ctx.member)]


def choose_joiner(ctx, item):
    ctx.data["joiner_id"], ctx.data["joiner_name"] = item[1]


def decide_joiner(ctx, raw):
    if raw not in DECISIONS:
        raise Invalid(T(N_("Choose a number from the list.")))
    groups, name = memberships(ctx), ctx.data["joiner_name"]
    if DECISIONS[raw]:
        refused(lambda: groups.approve(current(ctx), ctx.member, ctx.data["joiner_id"]))
        ctx.notice = T(N_("{name} is now a member."), name=name)
    else:
        refused(lambda: groups.decline(current(ctx), ctx.member, ctx.data["joiner_id"]))
        ctx.notice = T(N_("{name} was declined."), name=name)


def payouts_off(ctx):
    return is_official(ctx) and not current(ctx).payout_order_enabled


def payouts_on(ctx):
    return is_official(ctx) and current(ctx).payout_order_enabled


def start_payouts(ctx):
    final(lambda: payouts(ctx).set_payout_order(current(ctx), ctx.member))
    ctx.notice = T(N_("Payouts are on."))


def prepare_payout(ctx):
    try:
        period, recipient, amount = payouts(ctx).payout_preview(current(ctx), ctx.member)
    except GroupError as error:
        return Finish(error.message)
    ctx.data.update(payout_period=period, payout_name=recipient.name, payout_amount=amount)
    return "ok"


def run_payout(ctx):
    final(lambda: payouts(ctx).run_payout(current(ctx), ctx.data["payout_period"], ctx.member,
                                          channel=ctx.state.channel, session_ref=ctx.session_ref))


SCREENS = [
    Paged("group_members", N_("Members and arrears"), items=member_lines, next="main"),
    Paged("group_joiners", N_("Join requests"), items=joiner_items, select=choose_joiner,
          next={"ok": "group_joiner_decide", "group": "group_home"},  # "group": the tree's way out of the loop
          empty=N_("No join requests.")),
    Input("group_joiner_decide", lambda ctx: T(N_("{name} wants to join.\n1. Approve\n2. Decline"),
                                               name=ctx.data["joiner_name"]),
          action=decide_joiner, next="group_joiners"),
    Confirm("group_payout_start", N_("Pay each period's contributions to members in turn, in the order they "
                                     "joined?"), on_yes=start_payouts, next="group_home"),
    Branch("group_payout", decide=prepare_payout, next="group_payout_confirm"),
    *confirmation("group_payout", title=lambda ctx: T(N_("Group payout for {period}"),
                                                      period=period_name(ctx.data["payout_period"])),
                  to=lambda ctx: ctx.data["payout_name"], amount=lambda ctx: ctx.data["payout_amount"],
                  run=run_payout, pin_check=pin_check, next="group_paid_out"),
    End("group_paid_out", lambda ctx: T(N_("{amount} paid into {name}'s savings."),
                                        amount=ctx.data["payout_amount"], name=ctx.data["payout_name"])),
]
