"""Groups that run themselves, through /ussd (issue 16): the late fine from the group menu, leaving a
group, the chair told of a join request, joining with the keypad digits of an old letter code."""

from sqlalchemy import select, update

from app.groups.models import Group
from app.money import Money
from app.notifications.models import Notification
from tests.clock_helpers import app_clock
from tests.menus.test_groups_menu import (
    AMINA,
    BARAKA,
    PIN,
    WEDNESDAY,
    created,
    fund,
    join,
    member_menu,
    my_groups,
    open_group,
)

clock = app_clock(WEDNESDAY)


def test_an_official_sets_the_late_fine_from_the_group_menu(client, timed):
    group = created(client, timed)
    join(client, timed, group)
    member, body = open_group(client, BARAKA, "Baraka Otieno")
    assert "Late fine" not in body
    chair, body = open_group(client, AMINA)
    assert "8. Late fine" in body + chair.send("98")
    assert chair.send("8").startswith("CON Now: no late fine. New late fine in KES:\n1. No fine\nOr type the fine")
    assert chair.send("abc").startswith("CON Enter the amount in digits, like 1500.")
    assert chair.send("50").startswith("CON Enter your PIN:")
    assert chair.send(PIN).startswith("CON Set Umoja Women: late fine KES 50 for each missed meeting?\n1. Yes")
    assert chair.send("1") == "END Umoja Women: late fine KES 50 from the next missed meeting."
    timed.session.expire_all()
    assert timed.group_memberships.get(group.id).fine == Money(50_00, "KES")
    chair, body = open_group(client, AMINA)
    chair.send("98")
    assert chair.send("8").startswith("CON Now: late fine KES 50.")
    chair.send("1")  # no fine
    chair.send(PIN)
    assert chair.send("1") == "END Umoja Women: no late fine from the next missed meeting."
    timed.session.expire_all()
    assert timed.group_memberships.get(group.id).fine is None


def test_a_member_leaves_and_gets_back_the_share_not_yet_paid_out(client, timed):
    group = created(client, timed)
    join(client, timed, group)
    fund(timed, BARAKA, 1_000_00)
    baraka = timed.members.by_phone(BARAKA)
    timed.group_contributions.contribute_from_savings(baraka, group, "1000", "k-ahead")  # this week and next
    timed.session.commit()
    handset, body = open_group(client, BARAKA, "Baraka Otieno")
    assert body.startswith(f"CON Umoja Women ({group.code})\n1. Balance\n2. Contribute\n3. Last contributions\n"
                           "4. Leave group")
    assert handset.send("4").startswith("CON Leave Umoja Women? Your share of KES 1,000 goes back to your savings. "
                                        "Fines paid stay with the group.\n1. Yes\n2. No")
    assert handset.send("1").startswith("CON Enter your PIN:")
    assert handset.send(PIN) == "END You left Umoja Women. KES 1,000 is back in your savings."
    assert timed.group_contributions.savings_balance(baraka, "KES") == Money(1_000_00, "KES")
    assert timed.group_memberships.membership(group, baraka).status == "left"
    left = timed.session.scalar(select(Notification).where(Notification.kind == "group_left"))
    assert left.member_id == baraka.id and "KES 1,000 of your contributions went back" in left.text


def test_a_member_who_owes_is_told_what_is_due_before_anything_is_confirmed(client, timed, clock):
    from datetime import UTC, datetime

    group = created(client, timed)
    join(client, timed, group)
    clock.at = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)  # the Thursday after: two meetings unpaid
    handset, _ = open_group(client, BARAKA, "Baraka Otieno")
    assert handset.send("4") == "END Pay what is due now (KES 1,000) before you leave the group."
    chair, body = open_group(client, AMINA)
    assert "Leave group" not in body + chair.send("98")  # the chair hands the chair over first


def test_the_chair_is_told_of_a_join_request_made_on_the_phone(client, timed):
    group = created(client, timed)
    join(client, timed, group, approve=False)
    told = timed.session.scalar(select(Notification).where(Notification.kind == "group_join_request"))
    assert told.member_id == timed.members.by_phone(AMINA).id
    assert told.text.startswith("Pamoja: Baraka Otieno asks to join Umoja Women.")


def test_joining_with_the_keypad_digits_of_an_old_letter_code(client, timed):
    group = created(client, timed)
    timed.session.execute(update(Group).where(Group.id == group.id).values(code="AB3XYZ"))
    timed.session.commit()
    handset, body = my_groups(client, BARAKA, "Baraka Otieno")
    handset.send("2")
    assert handset.send("223999").startswith("CON Join Umoja Women? Members pay KES 500 weekly.")


def test_an_official_shares_out_the_group_money_from_the_phone(client, timed):
    group = created(client, timed)
    join(client, timed, group)
    for phone, minor in ((AMINA, 500_00), (BARAKA, 1_000_00)):
        fund(timed, phone, minor)
        member = timed.members.by_phone(phone)
        timed.group_contributions.contribute_from_savings(member, group, str(minor // 100), f"k-{member.id}")
    timed.session.commit()
    chair, body = open_group(client, AMINA)
    assert "9. Share out" in body + chair.send("98")
    assert chair.send("9").startswith("CON Share out KES 1,500 of Umoja Women into the savings of 2 members? "
                                      "Each gets an SMS.\n1. Yes\n2. No")
    assert chair.send("1").startswith("CON Enter your PIN:")
    assert chair.send(PIN) == "END KES 1,500 of Umoja Women is shared out."
    amina, baraka = timed.members.by_phone(AMINA), timed.members.by_phone(BARAKA)
    assert timed.group_contributions.savings_balance(amina, "KES") == Money(500_00, "KES")
    assert timed.group_contributions.savings_balance(baraka, "KES") == Money(1_000_00, "KES")
    chair, _ = open_group(client, AMINA)
    chair.send("98")
    assert chair.send("9") == "END The group has no money to share out."


def test_the_new_group_screens_fit_in_kiswahili_with_a_30_character_group_name(client, timed):
    """Every screen is checked against 160 characters by the handset (test_groups_menu.CheckedPhone)."""
    name = "Akiba ya Wakulima wa Kirinyaga"
    handset = member_menu(client, AMINA, language="2")
    handset.send("4")
    handset.send("1")
    handset.send(name)
    handset.send("150000")
    handset.send("1")
    handset.send("3")
    assert handset.send("1500").startswith(f"CON Unda {name}: KES 150,000 kila wiki, mkutano Jumatano, faini ya "
                                           "kuchelewa KES 1,500?")
    handset.send("1")
    group = timed.group_memberships.groups_of(timed.members.by_phone(AMINA))[0][0]
    join(client, timed, group, name="Baraka Otieno Mwangi Kamau")
    fund(timed, BARAKA, 150_000_00)
    baraka = timed.members.by_phone(BARAKA)
    timed.group_contributions.contribute_from_savings(baraka, group, "150000", "k-baraka")
    baraka.locale = "sw"
    timed.session.commit()
    chair, body = open_group(client, AMINA)
    chair.send("98")
    assert chair.send("8").startswith("CON Sasa: faini ya kuchelewa KES 1,500. Faini mpya ya kuchelewa kwa KES:")
    chair.send("149999")
    assert "kwa kila mkutano unaokosa?" in chair.send(PIN)
    assert chair.send("1") == f"END {name}: faini ya kuchelewa KES 149,999 kuanzia mkutano ujao utakaokosa."
    chair, body = open_group(client, AMINA)
    chair.send("98")
    assert "Gawa KES 150,000 za" in chair.send("9")
    member = member_menu(client, BARAKA, "Baraka Otieno Mwangi Kamau")
    member.send("4")
    member.send("1")
    assert "Hisa yako ya KES 150,000 itarudi" in member.send("4")
