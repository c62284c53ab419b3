"""The chair names the group's treasurer and secretary (or makes an official a member again).

Member -> role -> PIN -> confirm. Group loan products need two officials' approvals,
so without these screens such loans could never be approved. The option is shown to
the chair only (Option.visible); every rule (chair only, one treasurer, one secretary,
the chair cannot step down here) is the service's: a refusal of the chosen role is
shown on the role screen, one that arises meanwhile ends the session.
"""

from app.groups.models import ROLE_LABELS
from app.i18n import N_, T
from menus.member.group_common import current, ends_on_refusal, final, memberships, refused
from menus.member.pin_check import pin_check
from menus.screens import Confirm, End, Input, Invalid, Paged, Pin

ROLE_CHOICES = {"1": "treasurer", "2": "secretary", "3": "member"}


def is_chair(ctx):
    return memberships(ctx).is_chair(current(ctx), ctx.member)


@ends_on_refusal
def candidate_items(ctx):
    return [(T(N_("{name} ({role})"), name=person.name, role=T(ROLE_LABELS[row.role])), [person.id, person.name])
            for row, person in memberships(ctx).role_candidates(current(ctx), ctx.member)]


def choose_candidate(ctx, item):
    ctx.data["role_member_id"], ctx.data["role_member_name"] = item[1]


def role_prompt(ctx):
    return T(N_("Role for {name}:\n1. Treasurer\n2. Secretary\n3. Member"), name=ctx.data["role_member_name"])


def role_rule(ctx, raw):
    role = ROLE_CHOICES.get(raw.strip())
    if role is None:
        raise Invalid(T(N_("Choose a number from the list.")))
    refused(lambda: memberships(ctx).check_role(current(ctx), ctx.member, ctx.data["role_member_id"], role))
    return role


def role_words(ctx):
    role = ROLE_LABELS[ctx.data["new_role"]]
    return dict(name=ctx.data["role_member_name"], role=T(role), group=current(ctx).name)


def set_role(ctx):
    final(lambda: memberships(ctx).set_role(current(ctx), ctx.member, ctx.data["role_member_id"], ctx.data["new_role"]))


SCREENS = [
    Paged("group_roles", N_("Set roles"), items=candidate_items, select=choose_candidate, next="group_role_choose",
          empty=N_("No other members yet.")),
    Input("group_role_choose", role_prompt, key="new_role", parse=role_rule, next="group_role_pin"),
    Pin("group_role_pin", N_("Enter your PIN:"), action=pin_check, next="group_role_confirm"),
    Confirm("group_role_confirm", lambda ctx: T(N_("Make {name} {role} of {group}?"), **role_words(ctx)),
            on_yes=set_role, next="group_role_set"),
    End("group_role_set", lambda ctx: T(N_("{name} is now {role} of {group}."), **role_words(ctx))),
]
