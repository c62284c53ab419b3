"""Creating a group (name, amount, frequency, meeting day, late fine) and asking to join one by its code."""

from app.groups.errors import UnknownGroupCode
from app.i18n import N_, T
from menus.member.group_common import (
    WEEKDAYS,
    final,
    fine_choice,
    fine_text,
    frequency_text,
    limits,
    memberships,
    refused,
)
from menus.screens import Confirm, End, Input, Invalid


def meeting_text(frequency, day):
    return T(WEEKDAYS[day - 1]) if frequency == "weekly" else T(N_("day {day}"), day=day)


def create_amount_prompt(ctx):
    return T(N_("Contribution per member, in {currency}:"), currency=ctx.member.currency)


def meeting_day_prompt(ctx):
    if ctx.data.get("frequency") == "weekly":
        return T(N_("Meeting day:\n1 Mon 2 Tue 3 Wed 4 Thu\n5 Fri 6 Sat 7 Sun"))
    return T(N_("Meeting day of the month (1-28):"))


def create_fine_prompt(ctx):
    return T(N_("Late fine for a member who misses a meeting, in {currency}:\n1. No fine\nOr type the fine"),
             currency=ctx.member.currency)


def create_confirm_prompt(ctx):
    data = ctx.data
    return T(N_("Create {name}: {amount} {frequency}, meeting on {day}, {fine}?"), name=data["group_name"],
             amount=data["group_amount"], frequency=frequency_text(data["frequency"]),
             day=meeting_text(data["frequency"], data["meeting_day"]), fine=fine_text(data.get("group_fine")))


def create_group(ctx):
    data = ctx.data
    group = final(lambda: memberships(ctx).create_group(
        ctx.member, name=data["group_name"], contribution=data["group_amount"], frequency=data["frequency"],
        meeting_day=data["meeting_day"], fine=data.get("group_fine")))
    data["group_code"] = group.code


def find_group(ctx, raw):
    group = memberships(ctx).by_code(raw)
    if group is None:
        raise Invalid(UnknownGroupCode().message)
    refused(lambda: memberships(ctx).check_can_join(group, ctx.member))
    ctx.data["join_name"] = group.name
    return group.code


def join_confirm_prompt(ctx):
    group = memberships(ctx).by_code(ctx.data["join_code"])
    return T(N_("Join {name}? Members pay {amount} {frequency}."), name=group.name, amount=group.contribution,
             frequency=frequency_text(group.frequency))


def join_group(ctx):
    final(lambda: memberships(ctx).join_by_code(ctx.member, ctx.data["join_code"]))


def name_rule(ctx, raw):
    return refused(lambda: memberships(ctx).clean_name(raw))


def new_amount(ctx, raw):
    return refused(lambda: limits(ctx).check(raw, ctx.member.currency))


def frequency_rule(ctx, raw):
    return refused(lambda: memberships(ctx).clean_frequency(raw))


def meeting_day_rule(ctx, raw):
    return refused(lambda: memberships(ctx).clean_meeting_day(ctx.data["frequency"], raw))


SCREENS = [
    Input("group_create_name", N_("Group name:"), key="group_name", parse=name_rule, next="group_create_amount"),
    Input("group_create_amount", create_amount_prompt, key="group_amount", parse=new_amount,
          next="group_create_frequency"),
    Input("group_create_frequency", N_("How often do members pay?\n1. Weekly\n2. Monthly"), key="frequency",
          parse=frequency_rule, next="group_create_day"),
    Input("group_create_day", meeting_day_prompt, key="meeting_day", parse=meeting_day_rule,
          next="group_create_fine"),
    Input("group_create_fine", create_fine_prompt, key="group_fine",
          parse=lambda ctx, raw: fine_choice(ctx, raw, ctx.member.currency), next="group_create_confirm"),
    Confirm("group_create_confirm", create_confirm_prompt, on_yes=create_group, next="group_created"),
    End("group_created", lambda ctx: T(N_("{name} is created. Code: {code}. Share it so members can join."),
                                       name=ctx.data["group_name"], code=ctx.data["group_code"])),
    Input("group_join_code", N_("Enter the group code:"), key="join_code", parse=find_group,
          next="group_join_confirm"),
    Confirm("group_join_confirm", join_confirm_prompt, on_yes=join_group, next="group_join_sent"),
    End("group_join_sent", N_("Request sent. The chair or treasurer will approve it.")),
]
