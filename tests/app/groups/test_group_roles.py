"""Group roles: the chair names one treasurer and one secretary, never steps down without a successor;
`flask groups roles` does the same for operators; periods are worded for members, not coded."""

from datetime import date

import pytest

from app.groups import errors
from app.groups.periods import period_name
from app.i18n import T
from tests.member_helpers import make_member

AMINA, BARAKA, CHEBET = "+254712000001", "+254712000002", "+254712000003"


@pytest.fixture
def people(services):
    return [make_member(services.session, phone, name) for phone, name in
            ((AMINA, "Amina Wanjiru"), (BARAKA, "Baraka Otieno"), (CHEBET, "Chebet Koech"))]


@pytest.fixture
def group(services, people):
    amina, *others = people
    groups = services.group_memberships
    group = groups.create_group(amina, name="Umoja Women", contribution="500", frequency="weekly", meeting_day=3)
    for member in others:
        groups.join_by_code(member, group.code)
        groups.approve(group, amina, member.id)
    return group


def role(services, group, member):
    return services.group_memberships.membership(group, member).role


def test_the_chair_names_one_treasurer_and_one_secretary(services, group, people):
    amina, baraka, chebet = people
    groups = services.group_memberships
    assert [person.id for _, person in groups.role_candidates(group, amina)] == [baraka.id, chebet.id]
    groups.set_role(group, amina, baraka.id, "treasurer")
    groups.set_role(group, amina, chebet.id, "secretary")
    assert (role(services, group, baraka), role(services, group, chebet)) == ("treasurer", "secretary")
    with pytest.raises(errors.RoleTaken) as taken:
        groups.set_role(group, amina, chebet.id, "treasurer")
    assert taken.value.message.render("en") == \
        "Baraka Otieno is already treasurer. Make them a member first."
    assert "tayari ni mweka hazina" in taken.value.message.render("sw")
    groups.set_role(group, amina, baraka.id, "treasurer")  # no change is no refusal
    groups.set_role(group, amina, baraka.id, "member")
    groups.set_role(group, amina, chebet.id, "treasurer")
    assert (role(services, group, baraka), role(services, group, chebet)) == ("member", "treasurer")
    assert groups.is_official(group, chebet) and not groups.is_official(group, baraka)


def test_only_the_chair_sets_roles_and_never_leaves_the_group_without_one(services, group, people):
    amina, baraka, chebet = people
    groups = services.group_memberships
    groups.set_role(group, amina, baraka.id, "treasurer")
    with pytest.raises(errors.NotTheChair):
        groups.set_role(group, baraka, chebet.id, "secretary")
    with pytest.raises(errors.NotTheChair):
        groups.role_candidates(group, baraka)
    assert not groups.is_chair(group, baraka) and groups.is_chair(group, amina)
    for demotion in ("member", "treasurer", "secretary"):
        with pytest.raises(errors.ChairMustHandOver):
            groups.set_role(group, amina, amina.id, demotion)
    with pytest.raises(errors.InvalidRole):
        groups.check_role(group, amina, chebet.id, "boss")
    groups.leave(group, chebet)
    with pytest.raises(errors.NotAMember):
        groups.set_role(group, amina, chebet.id, "secretary")
    groups.set_role(group, amina, baraka.id, "chair")  # the treasurer takes the chair; the treasurer's seat frees
    assert (role(services, group, amina), role(services, group, baraka)) == ("member", "chair")
    assert groups.chair_of(group).id == baraka.id
    assert [row.role for row, _ in groups.members(group)].count("chair") == 1


def test_operators_set_roles_from_the_command_line(app, services, group, people):
    amina, baraka, _ = people
    runner = app.test_cli_runner()
    done = runner.invoke(args=["groups", "roles", "--code", group.code.lower(), "--phone", "0712000002",
                               "--role", "treasurer"])
    assert done.exit_code == 0, done.output
    assert "Baraka Otieno is now treasurer of Umoja Women" in done.output
    assert role(services, group, baraka) == "treasurer"
    taken = runner.invoke(args=["groups", "roles", "--code", group.code, "--phone", "+254712000003",
                                "--role", "treasurer"])
    assert taken.exit_code != 0 and "Baraka Otieno is already treasurer" in taken.output
    chair = runner.invoke(args=["groups", "roles", "--code", group.code, "--phone", AMINA, "--role", "member"])
    assert chair.exit_code != 0 and "Choose a new chair before you step down." in chair.output
    unknown = runner.invoke(args=["groups", "roles", "--code", "ZZZZZZ", "--phone", AMINA, "--role", "member"])
    assert unknown.exit_code != 0 and "no group has the code" in unknown.output
    stranger = runner.invoke(args=["groups", "roles", "--code", group.code, "--phone", "+254712999999",
                                   "--role", "secretary"])
    assert stranger.exit_code != 0 and "is not a member" in stranger.output
    bad = runner.invoke(args=["groups", "roles", "--code", group.code, "--phone", "12", "--role", "secretary"])
    assert bad.exit_code != 0 and "not a valid mobile number" in bad.output
    assert role(services, group, amina) == "chair"


@pytest.mark.parametrize(("period", "english", "kiswahili"), [
    ("2026-W48", "week of 23 Nov", "wiki ya 23 Nov"),
    ("2026-12", "Dec 2026", "Des 2026"),
    ("2027-08", "Aug 2027", "Ago 2027"),
    ("2026-W53", "week of 28 Dec", "wiki ya 28 Des"),
])
def test_periods_are_worded_in_the_members_language(period, english, kiswahili):
    text = T("{period}", period=period_name(period))
    assert (text.render("en"), text.render("sw")) == (english, kiswahili)


def test_the_stored_codes_stay_codes():
    from app.groups.periods import first_day, period_of

    assert period_of(date(2026, 11, 25), "weekly") == "2026-W48" and first_day("2026-12") == date(2026, 12, 1)
