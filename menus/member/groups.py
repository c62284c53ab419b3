"""My groups: the member's savings groups, their balance, contributing and history.

`groups` lists the member's groups (then Create group, Join group); choosing one keeps
its id in the session and opens `group_home`, whose official-only options (members
with arrears, join requests, payouts: group_officials.py; the late fine:
group_settings.py) are hidden from ordinary members. Creating and joining are in
group_joining.py, leaving in group_leaving.py, the share-out in group_share_out.py.
Looking at the balance needs no PIN beyond the login's; contributing keeps the one
order of every movement (menus/movement.py): amount -> savings or mobile money
(savings that cannot pay are refused there) -> one confirmation naming the group ->
PIN -> done. The balance screen says what each figure means: "My share" is the
member's contributions still in the group (not yet paid out), "Due now" what they
owe today (missed meetings and unpaid fines), "Next" what is left to pay for the
coming meeting.
"""

from app.groups.periods import period_name
from app.i18n import N_, DatePattern, T
from app.savings.errors import SavingsError
from menus.member import (
    group_joining,
    group_leaving,
    group_officials,
    group_roles,
    group_settings,
    group_share_out,
)
from menus.member.group_common import (
    arrears,
    contributions,
    current,
    ends_on_refusal,
    final,
    frequency_text,
    is_official,
    limits,
    memberships,
    refused,
)
from menus.member.group_officials import payouts_off, payouts_on
from menus.member.pin_check import pin_check
from menus.movement import confirmation
from menus.screens import End, Input, Invalid, Menu, Option, Paged

SOURCES = {"1": "savings", "2": "mobile"}
USE_GROUP_AMOUNT = "1"
"""On the contribute screen `1` means the group's amount: nobody contributes one shilling."""


def group_items(ctx):
    items = []
    for group, row in memberships(ctx).groups_of(ctx.member):
        label = T(N_("{name} ({code})"), name=group.name, code=group.code) if row.status == "active" else \
            T(N_("{name} - waiting"), name=group.name)
        items.append((label, ["group", group.id, row.status]))
    return items + [(T(N_("Create group")), ["create"]), (T(N_("Join group")), ["join"])]


def choose_group(ctx, item):
    value = item[1]
    if value[0] != "group":
        return value[0]
    if value[2] != "active":
        raise Invalid(T(N_("Your request to join is waiting for approval.")))
    ctx.data["group_id"] = value[1]
    return "group"


def group_title(ctx):
    group = current(ctx)
    return T(N_("{name} ({code})"), name=group.name, code=group.code)


@ends_on_refusal
def summary_lines(ctx):
    group, money = current(ctx), contributions(ctx)
    owed = arrears(ctx).my_arrears(group, ctx.member)
    coming = arrears(ctx).next_due(group, ctx.member)
    return [T(N_("Group balance: {amount}"), amount=money.group_balance(group, ctx.member)),
            T(N_("My share: {amount} (what I paid in, not yet paid out)"), amount=money.my_share(group, ctx.member)),
            T(N_("Due now: {amount} (missed meetings and fines)"), amount=owed.total),
            T(N_("Next: {amount} by {date}"), amount=coming.amount, date=DatePattern(coming.due_date, "d MMM y")),
            T(N_("Contribution: {amount} {frequency}"), amount=group.contribution,
              frequency=frequency_text(group.frequency))]


@ends_on_refusal
def history_lines(ctx):
    return [T(N_("{period} {name} {amount}"), period=period_name(row.period), name=person.name.split()[0],
              amount=row.amount)
            for row, person in contributions(ctx).last_contributions(current(ctx), ctx.member, limit=20)]


def contribute_prompt(ctx):
    return T(N_("Amount to contribute:\n1. {amount}\nOr type another amount"), amount=current(ctx).contribution)


def contribution_amount(ctx, raw):
    group = current(ctx)
    if raw == USE_GROUP_AMOUNT:
        return group.contribution
    return refused(lambda: limits(ctx).check(raw, group.currency))


def contribution_source(ctx, raw):
    """Savings or mobile money; savings that cannot pay the amount are refused here, not after the PIN."""
    if raw not in SOURCES:
        raise Invalid(T(N_("Choose a number from the list.")))
    if SOURCES[raw] == "savings":
        try:
            ctx.services.savings.check_covers(ctx.member, ctx.data["amount"])
        except SavingsError as error:
            raise Invalid(error.message) from None
    return SOURCES[raw]


def contribution_title(ctx):
    if ctx.data["source"] == "savings":
        return T(N_("Contribution from my savings"))
    return T(N_("Contribution from mobile money {phone}"), phone=ctx.member.phone)


def contribute(ctx):
    group, money, source = current(ctx), contributions(ctx), ctx.data["source"]
    start = money.contribute_from_savings if source == "savings" else money.contribute_by_mobile_money
    final(lambda: start(ctx.member, group, ctx.data["amount"], ctx.idempotency_key(f"group{group.id}"),
                        channel=ctx.state.channel, session_ref=ctx.session_ref))
    return source


SCREENS = [
    Paged("groups", N_("My groups"), items=group_items, select=choose_group,
          next={"group": "group_home", "create": "group_create_name", "join": "group_join_code"}),
    Menu("group_home", group_title, options=[
        Option(N_("Balance"), "group_summary"),
        Option(N_("Contribute"), "group_contribute_amount"),
        Option(N_("Last contributions"), "group_history"),
        Option(N_("Members and arrears"), "group_members", visible=is_official),
        Option(N_("Join requests"), "group_joiners", visible=is_official),
        Option(N_("Pay out"), "group_payout", visible=payouts_on),
        Option(N_("Start payouts"), "group_payout_start", visible=payouts_off),
        Option(N_("Set roles"), "group_roles", visible=group_roles.is_chair),
        Option(N_("Late fine"), "group_fine", visible=is_official),
        Option(N_("Share out"), "group_share_out", visible=is_official),
        Option(N_("Leave group"), "group_leave", visible=group_leaving.may_ask_to_leave),
    ]),
    Paged("group_summary", group_title, items=summary_lines, next="main"),
    Input("group_contribute_amount", contribute_prompt, key="amount", parse=contribution_amount,
          next="group_contribute_source"),
    Input("group_contribute_source", N_("Pay from:\n1. My savings\n2. Mobile money"), key="source",
          parse=contribution_source, next="group_contribute_confirm"),
    *confirmation("group_contribute", title=contribution_title, to=lambda ctx: current(ctx).name, run=contribute,
                  pin_check=pin_check, next={"savings": "group_contributed", "mobile": "group_contribute_sent"}),
    End("group_contributed", lambda ctx: T(N_("Paid {amount} to {group}. Thank you!"), amount=ctx.data["amount"],
                                           group=current(ctx).name)),
    End("group_contribute_sent", N_("Request sent. Enter your mobile money PIN on the prompt. We will SMS you.")),
    Paged("group_history", N_("Last contributions"), items=history_lines, next="main",
          empty=N_("No contributions yet.")),
] + group_officials.SCREENS + group_joining.SCREENS + group_roles.SCREENS + group_settings.SCREENS \
    + group_leaving.SCREENS + group_share_out.SCREENS
