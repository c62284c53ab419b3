"""My groups: the member's savings groups, contributing, and the officials' tools.

`groups` lists the member's groups (then Create group, Join group); choosing one keeps
its id in the session and opens `group_home`, whose official-only options (members
with arrears, join requests, payouts) are hidden from ordinary members. Money screens
ask the PIN; a refusal from the service is shown on the same screen while the member
is still typing, and ends the session once they have confirmed.
"""

from app.groups.errors import GroupError, UnknownGroupCode
from app.i18n import N_, T
from app.payments.errors import PaymentError
from menus.engine import Finish
from menus.member.pins import pin_check
from menus.screens import Branch, Confirm, End, Input, Invalid, Menu, Option, Paged, Pin, Stop

REFUSALS = (GroupError, PaymentError)
FREQUENCY_LABELS = {"weekly": N_("weekly"), "monthly": N_("monthly")}
ROLE_LABELS = {"chair": N_("chair"), "treasurer": N_("treasurer"), "secretary": N_("secretary"),
               "member": N_("member")}
WEEKDAYS = (N_("Monday"), N_("Tuesday"), N_("Wednesday"), N_("Thursday"), N_("Friday"), N_("Saturday"),
            N_("Sunday"))
SOURCES = {"1": "savings", "2": "mobile"}
DECISIONS = {"1": True, "2": False}
USE_GROUP_AMOUNT = "1"
"""On the contribute screen `1` means the group's amount: nobody contributes one shilling."""


def service(ctx):
    return ctx.services.groups


def current(ctx):
    return service(ctx).get(ctx.data["group_id"])


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
    return service(ctx).is_official(current(ctx), ctx.member)


def frequency_text(frequency):
    return T(FREQUENCY_LABELS[frequency])


def meeting_text(frequency, day):
    return T(WEEKDAYS[day - 1]) if frequency == "weekly" else T(N_("day {day}"), day=day)


# -- my groups ------------------------------------------------------------------------------------


def group_items(ctx):
    items = []
    for group, row in service(ctx).groups_of(ctx.member):
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
    group, groups = current(ctx), service(ctx)
    arrears = groups.my_arrears(group, ctx.member)
    return [T(N_("Group balance: {amount}"), amount=groups.group_balance(group, ctx.member)),
            T(N_("My share: {amount}"), amount=groups.my_share(group, ctx.member)),
            T(N_("My arrears: {amount}"), amount=arrears.total),
            T(N_("Contribution: {amount} {frequency}"), amount=group.contribution,
              frequency=frequency_text(group.frequency))]


@ends_on_refusal
def history_lines(ctx):
    return [T(N_("{period} {name} {amount}"), period=row.period, name=person.name.split()[0], amount=row.amount)
            for row, person in service(ctx).last_contributions(current(ctx), ctx.member, limit=20)]


@ends_on_refusal
def member_lines(ctx):
    return [T(N_("{name}, {role}: owes {amount}"), name=person.name, role=T(ROLE_LABELS[row.role]),
              amount=arrears.total)
            for row, person, arrears in service(ctx).members_with_arrears(current(ctx), ctx.member)]


# -- contributing ---------------------------------------------------------------------------------


def contribute_prompt(ctx):
    return T(N_("Amount to contribute:\n1. {amount}\nOr type another amount"), amount=current(ctx).contribution)


def contribution_amount(ctx, raw):
    group = current(ctx)
    if raw == USE_GROUP_AMOUNT:
        return group.contribution
    return refused(lambda: service(ctx).check_amount(raw, group.currency))


def contribution_source(ctx, raw):
    if raw not in SOURCES:
        raise Invalid(T(N_("Choose a number from the list.")))
    return SOURCES[raw]


def contribute_confirm_prompt(ctx):
    amount, name = ctx.data["amount"], current(ctx).name
    if ctx.data["source"] == "savings":
        return T(N_("Pay {amount} to {group} from your savings?"), amount=amount, group=name)
    return T(N_("Pay {amount} to {group} from mobile money {phone}?"), amount=amount, group=name,
             phone=ctx.member.phone)


def contribute(ctx):
    group, groups, source = current(ctx), service(ctx), ctx.data["source"]
    start = groups.contribute_from_savings if source == "savings" else groups.contribute_by_mobile_money
    final(lambda: start(ctx.member, group, ctx.data["amount"], ctx.idempotency_key(f"group{group.id}"),
                        channel=ctx.state.channel, session_ref=ctx.session_ref))
    return source


# -- officials ------------------------------------------------------------------------------------


@ends_on_refusal
def joiner_items(ctx):
    return [(T(N_("{name} {phone}"), name=person.name, phone=person.phone), [person.id, person.name])
            for _row, person in service(ctx).pending_requests(current(ctx), ctx.member)]


def choose_joiner(ctx, item):
    ctx.data["joiner_id"], ctx.data["joiner_name"] = item[1]


def decide_joiner(ctx, raw):
    if raw not in DECISIONS:
        raise Invalid(T(N_("Choose a number from the list.")))
    groups, name = service(ctx), ctx.data["joiner_name"]
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
    final(lambda: service(ctx).set_payout_order(current(ctx), ctx.member))
    ctx.notice = T(N_("Payouts are on."))


def prepare_payout(ctx):
    try:
        period, recipient, amount = service(ctx).payout_preview(current(ctx), ctx.member)
    except GroupError as error:
        return Finish(error.message)
    ctx.data.update(payout_period=period, payout_name=recipient.name, payout_amount=amount)
    return "ok"


def run_payout(ctx):
    final(lambda: service(ctx).run_payout(current(ctx), ctx.data["payout_period"], ctx.member,
                                          channel=ctx.state.channel, session_ref=ctx.session_ref))


# -- creating and joining -------------------------------------------------------------------------


def create_amount_prompt(ctx):
    return T(N_("Contribution per member, in {currency}:"), currency=ctx.member.currency)


def meeting_day_prompt(ctx):
    if ctx.data.get("frequency") == "weekly":
        return T(N_("Meeting day:\n1 Mon 2 Tue 3 Wed 4 Thu\n5 Fri 6 Sat 7 Sun"))
    return T(N_("Meeting day of the month (1-28):"))


def create_confirm_prompt(ctx):
    data = ctx.data
    return T(N_("Create {name}: {amount} {frequency}, meeting on {day}?"), name=data["group_name"],
             amount=data["group_amount"], frequency=frequency_text(data["frequency"]),
             day=meeting_text(data["frequency"], data["meeting_day"]))


def create_group(ctx):
    data = ctx.data
    group = final(lambda: service(ctx).create_group(
        ctx.member, name=data["group_name"], contribution=data["group_amount"], frequency=data["frequency"],
        meeting_day=data["meeting_day"]))
    data["group_code"] = group.code


def find_group(ctx, raw):
    group = service(ctx).by_code(raw)
    if group is None:
        raise Invalid(UnknownGroupCode().message)
    refused(lambda: service(ctx).check_can_join(group, ctx.member))
    ctx.data["join_name"] = group.name
    return group.code


def join_confirm_prompt(ctx):
    group = service(ctx).by_code(ctx.data["join_code"])
    return T(N_("Join {name}? Members pay {amount} {frequency}."), name=group.name, amount=group.contribution,
             frequency=frequency_text(group.frequency))


def join_group(ctx):
    final(lambda: service(ctx).join_by_code(ctx.member, ctx.data["join_code"]))


def name_rule(ctx, raw):
    return refused(lambda: service(ctx).clean_name(raw))


def new_amount(ctx, raw):
    return refused(lambda: service(ctx).check_amount(raw, ctx.member.currency))


def frequency_rule(ctx, raw):
    return refused(lambda: service(ctx).clean_frequency(raw))


def meeting_day_rule(ctx, raw):
    return refused(lambda: service(ctx).clean_meeting_day(ctx.data["frequency"], raw))


SCREENS = [
    Paged("groups", N_("My groups"), items=group_items, select=choose_group,
          next={"group": "group_home", "create": "group_create_name", "join": "group_join_code"}),
    Menu("group_home", group_title, options=[
        Option(N_("Balance"), "group_balance_pin"),
        Option(N_("Contribute"), "group_contribute_amount"),
        Option(N_("Last contributions"), "group_history"),
        Option(N_("Members and arrears"), "group_members", visible=is_official),
        Option(N_("Join requests"), "group_joiners", visible=is_official),
        Option(N_("Pay out"), "group_payout", visible=payouts_on),
        Option(N_("Start payouts"), "group_payout_start", visible=payouts_off),
    ]),
    Pin("group_balance_pin", N_("Enter your PIN:"), action=pin_check, next="group_summary"),
    Paged("group_summary", group_title, items=summary_lines, next="main"),
    Input("group_contribute_amount", contribute_prompt, key="amount", parse=contribution_amount,
          next="group_contribute_source"),
    Input("group_contribute_source", N_("Pay from:\n1. My savings\n2. Mobile money"), key="source",
          parse=contribution_source, next="group_contribute_pin"),
    Pin("group_contribute_pin", N_("Enter your PIN:"), action=pin_check, next="group_contribute_confirm"),
    Confirm("group_contribute_confirm", contribute_confirm_prompt, on_yes=contribute,
            next={"savings": "group_contributed", "mobile": "group_contribute_sent"}),
    End("group_contributed", lambda ctx: T(N_("Paid {amount} to {group}. Thank you!"), amount=ctx.data["amount"],
                                           group=current(ctx).name)),
    End("group_contribute_sent", N_("Request sent. Enter your mobile money PIN on the prompt. We will SMS you.")),
    Paged("group_history", N_("Last contributions"), items=history_lines, next="main",
          empty=N_("No contributions yet.")),
    Paged("group_members", N_("Members and arrears"), items=member_lines, next="main"),
    Paged("group_joiners", N_("Join requests"), items=joiner_items, select=choose_joiner,
          next={"ok": "group_joiner_decide", "group": "group_home"},  # "group": the tree's way out of the loop
          empty=N_("No join requests.")),
    Input("group_joiner_decide", lambda ctx: T(N_("{name} wants to join.\n1. Approve\n2. Decline"),
                                               name=ctx.data["joiner_name"]),
          action=decide_joiner, next="group_joiners"),
    Confirm("group_payout_start", N_("Pay each period's contributions to members in turn, in the order they "
                                     "joined?"), on_yes=start_payouts, next="group_home"),
    Branch("group_payout", decide=prepare_payout, next="group_payout_pin"),
    Pin("group_payout_pin", N_("Enter your PIN:"), action=pin_check, next="group_payout_confirm"),
    Confirm("group_payout_confirm", lambda ctx: T(N_("Pay {amount} for {period} to {name}?"),
                                                  amount=ctx.data["payout_amount"],
                                                  period=ctx.data["payout_period"], name=ctx.data["payout_name"]),
            on_yes=run_payout, next="group_paid_out"),
    End("group_paid_out", lambda ctx: T(N_("{amount} paid into {name}'s savings."),
                                        amount=ctx.data["payout_amount"], name=ctx.data["payout_name"])),
    Input("group_create_name", N_("Group name:"), key="group_name", parse=name_rule, next="group_create_amount"),
    Input("group_create_amount", create_amount_prompt, key="group_amount", parse=new_amount,
          next="group_create_frequency"),
    Input("group_create_frequency", N_("How often do members pay?\n1. Weekly\n2. Monthly"), key="frequency",
          parse=frequency_rule, next="group_create_day"),
    Input("group_create_day", meeting_day_prompt, key="meeting_day", parse=meeting_day_rule,
          next="group_create_confirm"),
    Confirm("group_create_confirm", create_confirm_prompt, on_yes=create_group, next="group_created"),
    End("group_created", lambda ctx: T(N_("{name} is created. Code: {code}. Share it so members can join."),
                                       name=ctx.data["group_name"], code=ctx.data["group_code"])),
    Input("group_join_code", N_("Enter the group code:"), key="join_code", parse=find_group,
          next="group_join_confirm"),
    Confirm("group_join_confirm", join_confirm_prompt, on_yes=join_group, next="group_join_sent"),
    End("group_join_sent", N_("Request sent. The chair or treasurer will approve it.")),
]
