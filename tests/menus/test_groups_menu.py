"""My groups through /ussd, as Africa's Talking drives it: create, join, approve, contribute, pay out."""

from datetime import UTC, datetime

from sqlalchemy import select

from app.money import Money
from app.payments.models import Payment
from tests.clock_helpers import app_clock
from tests.money_helpers import fund_savings
from tests.ussd_helpers import UssdPhone, register

WEDNESDAY = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
AMINA, BARAKA = "+254712000001", "+254712000002"
PIN = "4821"
MAX_SCREEN = 160


class CheckedPhone(UssdPhone):
    """A UssdPhone that checks every screen fits USSD's 160 characters."""

    def post(self, text):
        body = super().post(text)
        assert len(body) - len("CON ") <= MAX_SCREEN, body
        return body


clock = app_clock(WEDNESDAY)


def member_menu(client, phone, name="Amina Wanjiru", language="1"):
    """Register (first time) or log in; return a handset on the main menu."""
    handset = CheckedPhone(client, phone)
    if handset.dial().startswith("CON Karibu Pamoja! Welcome!"):
        register(client, phone=phone, name=name, pin=PIN, language=language)
        handset.dial()
    assert handset.send(PIN).startswith("CON ")
    return handset


def my_groups(client, phone, name="Amina Wanjiru"):
    handset = member_menu(client, phone, name)
    return handset, handset.send("4")


def created(client, timed, phone=AMINA):
    handset, body = my_groups(client, phone)
    lines = body.split("\n")
    create = next(line.split(".")[0] for line in lines if line.endswith("Create group"))
    handset.send(create)
    handset.send("Umoja Women")
    handset.send("500")
    handset.send("1")
    handset.send("3")
    handset.send("1")  # no late fine
    body = handset.send("1")
    code = body.split("Code: ")[1][:6]
    return timed.group_memberships.by_code(code)


def fund(timed, phone, minor):
    fund_savings(timed, timed.members.by_phone(phone), minor)


def join(client, timed, group, phone=BARAKA, name="Baraka Otieno", approve=True):
    handset, body = my_groups(client, phone, name)
    join_line = next(line.split(".")[0] for line in body.split("\n") if line.endswith("Join group"))
    handset.send(join_line)
    handset.send(group.code.lower())
    assert handset.send("1").startswith("END Request sent.")
    if approve:
        timed.group_memberships.approve(group, timed.members.by_phone(AMINA), timed.members.by_phone(phone).id)
        timed.session.flush()


def open_group(client, phone, name="Amina Wanjiru"):
    handset, body = my_groups(client, phone, name)
    return handset, handset.send("1")


# -- creating ---------------------------------------------------------------------------------------


def test_create_group_step_by_step(client, timed):
    handset, body = my_groups(client, AMINA)
    assert body.startswith("CON My groups\n1. Create group\n2. Join group")
    assert handset.send("1").startswith("CON Group name:")
    assert handset.send("Umoja Women").startswith("CON Contribution per member, in KES:")
    assert handset.send("500").startswith("CON How often do members pay?\n1. Weekly\n2. Monthly")
    assert handset.send("1").startswith("CON Meeting day:\n1 Mon 2 Tue 3 Wed 4 Thu\n5 Fri 6 Sat 7 Sun")
    assert handset.send("3").startswith("CON Late fine for a member who misses a meeting, in KES:\n1. No fine\n"
                                        "Or type the fine")
    body = handset.send("50")
    assert body.startswith("CON Create Umoja Women: KES 500 weekly, meeting on Wednesday, late fine KES 50?\n"
                           "1. Yes\n2. No")
    body = handset.send("1")
    assert body.startswith("END Umoja Women is created. Code: ")
    code = body.split("Code: ")[1][:6]
    assert code.isdigit()  # keypad-friendly
    group = timed.group_memberships.by_code(code)
    amina = timed.members.by_phone(AMINA)
    assert group.contribution == Money(500_00, "KES") and group.meeting_day == 3
    assert group.fine == Money(50_00, "KES")
    assert timed.group_memberships.membership(group, amina).role == "chair"


def test_create_group_bad_input_is_explained_on_the_same_screen(client, timed):
    handset, _ = my_groups(client, AMINA)
    handset.send("1")
    assert handset.send("ab").startswith("CON Enter a group name of 3 to 30 characters, with letters.\nGroup name:")
    # A name of digits only is refused: a member's 0 went back, then their amount became a group name.
    assert handset.send("200000").startswith("CON Enter a group name of 3 to 30 characters, with letters.")
    handset.send("Umoja Women")
    assert handset.send("abc").startswith("CON Enter the amount in digits, like 1500.\nContribution")
    handset2, _ = my_groups(client, AMINA)
    handset2.send("1")
    handset2.send("Umoja Women")
    assert handset2.send("-5").startswith("CON Enter an amount without a minus sign.")
    assert handset2.send("0.00").startswith("CON Enter an amount above zero.")  # a bare 0 is Back
    handset3, _ = my_groups(client, AMINA)
    handset3.send("1")
    handset3.send("Umoja Women")
    assert handset3.send("200000").startswith("CON The most you can contribute at once is KES 150,000.")
    handset3.send("1,000")
    assert handset3.send("3").startswith("CON Choose 1 for weekly or 2 for monthly.")
    handset3.send("2")
    assert handset3.send("31").startswith("CON Enter a meeting day: 1-7 (Mon-Sun) weekly, 1-28 monthly.")
    handset3.send("15")
    assert handset3.send("fifty").startswith("CON Enter the amount in digits, like 1500.\nLate fine")
    assert handset3.send("1").startswith("CON Create Umoja Women: KES 1,000 monthly, meeting on day 15, no late "
                                         "fine?")
    assert handset3.send("2").startswith("END Cancelled.")
    assert timed.group_memberships.groups_of(timed.members.by_phone(AMINA)) == []


# -- joining and approving --------------------------------------------------------------------------


def test_join_with_a_code_then_the_chair_approves(client, timed):
    group = created(client, timed)
    handset, body = my_groups(client, BARAKA, "Baraka Otieno")
    handset.send("2")
    assert handset.send("XXXXXX").startswith("CON No group has that code. Check it and try again.")
    assert handset.send(group.code.lower()).startswith(
        "CON Join Umoja Women? Members pay KES 500 weekly.\n1. Yes\n2. No")
    assert handset.send("1") == "END Request sent. The chair or treasurer will approve it."
    handset, body = my_groups(client, BARAKA, "Baraka Otieno")
    assert "1. Umoja Women - waiting" in body
    assert handset.send("1").startswith("CON Your request to join is waiting for approval.")
    handset, _ = my_groups(client, BARAKA, "Baraka Otieno")
    handset.send("3")
    assert handset.send(group.code).startswith("CON You already asked to join. Wait for the chair to approve.")

    chair, body = open_group(client, AMINA)
    assert body.startswith(f"CON Umoja Women ({group.code})\n1. Balance\n2. Contribute\n3. Last contributions\n"
                           "4. Members and arrears\n5. Join requests\n6. Start payouts")
    assert chair.send("5").startswith("CON Join requests\n1. Baraka Otieno +254712000002")
    assert chair.send("1").startswith("CON Baraka Otieno wants to join.\n1. Approve\n2. Decline")
    assert chair.send("1").startswith("CON Baraka Otieno is now a member.\nJoin requests\nNo join requests.")
    assert timed.group_memberships.membership(group, timed.members.by_phone(BARAKA)).status == "active"

    member, body = open_group(client, BARAKA, "Baraka Otieno")
    assert body.startswith(f"CON Umoja Women ({group.code})\n1. Balance\n2. Contribute\n3. Last contributions")
    assert "Members" not in body and "Join requests" not in body and "payout" not in body
    handset, _ = my_groups(client, BARAKA, "Baraka Otieno")
    handset.send("3")
    assert handset.send(group.code).startswith("CON You are already a member of this group.")


def test_chair_declines(client, timed):
    group = created(client, timed)
    join(client, timed, group, approve=False)
    chair, _ = open_group(client, AMINA)
    chair.send("5")
    chair.send("1")
    assert chair.send("2").startswith("CON Baraka Otieno was declined.")
    assert timed.group_memberships.membership(group, timed.members.by_phone(BARAKA)).status == "declined"


# -- contributing -----------------------------------------------------------------------------------


def test_contribute_the_group_amount_from_savings(client, timed):
    group = created(client, timed)
    join(client, timed, group)
    fund(timed, BARAKA, 2_000_00)
    handset, _ = open_group(client, BARAKA, "Baraka Otieno")
    assert handset.send("2").startswith("CON Amount to contribute:\n1. KES 500\nOr type another amount")
    assert handset.send("1").startswith("CON Pay from:\n1. My savings\n2. Mobile money")
    assert handset.send("1").startswith("CON Contribution from my savings\nTo: Umoja Women\nAmount: KES 500\n"
                                        "Fee: KES 0\nTotal: KES 500\n1. Yes\n2. No")
    assert handset.send("1").startswith("CON Enter your PIN to confirm:")
    assert handset.send(PIN) == "END Paid KES 500 to Umoja Women. Thank you!"
    baraka = timed.members.by_phone(BARAKA)
    assert timed.group_contributions.my_share(group, baraka) == Money(500_00, "KES")
    assert timed.group_contributions.savings_balance(baraka, "KES") == Money(1_500_00, "KES")

    handset, _ = open_group(client, BARAKA, "Baraka Otieno")
    body = handset.send("1")  # no second PIN for looking
    assert body == (f"CON Umoja Women ({group.code})\nGroup balance: KES 500\n"
                    "My share: KES 500 (what I paid in, not yet paid out)\n98 More\n0 Back 00 Menu")
    assert handset.send("98").startswith(f"CON Umoja Women ({group.code})\n"
                                         "Due now: KES 0 (missed meetings and fines)\n"
                                         "Next: KES 500 by 2 Dec 2026\n")  # this week's 500 is paid
    handset, _ = open_group(client, BARAKA, "Baraka Otieno")
    assert handset.send("3").startswith("CON Last contributions\nweek of 23 Nov Baraka KES 500")


def test_contribution_refusals(client, timed):
    group = created(client, timed)
    fund(timed, AMINA, 100_00)
    handset, _ = open_group(client, AMINA)
    handset.send("2")
    assert handset.send("five").startswith("CON Enter the amount in digits, like 1500.\nAmount to contribute")
    handset.send("750")
    refused = handset.send("1")  # savings: refused where the source is chosen, before the confirmation and PIN
    assert refused.startswith("CON Not enough savings. You need KES 750, you have KES 100.\nPay from:"), refused
    assert "To: Umoja Women" in handset.send("2")  # mobile money instead
    assert timed.group_contributions.last_contributions(group, timed.members.by_phone(AMINA)) == []


def test_contribute_by_mobile_money_starts_a_collection(client, timed):
    group = created(client, timed)
    handset, _ = open_group(client, AMINA)
    handset.send("2")
    handset.send("250")
    confirm = handset.send("2")
    assert confirm.startswith(f"CON Contribution from mobile money {AMINA}\nTo: Umoja Women\nAmount: KES 250\n")
    handset.send("1")
    assert handset.send(PIN).startswith("END Request sent. Enter your mobile money PIN")
    payment = timed.session.scalar(select(Payment).where(Payment.purpose == "contribution"))
    assert payment.amount == Money(250_00, "KES") and payment.purpose_ref == str(group.id)
    assert payment.phone == AMINA and payment.channel == "ussd"


# -- payouts ----------------------------------------------------------------------------------------


def test_chair_starts_payouts_and_pays_out(client, timed):
    group = created(client, timed)
    join(client, timed, group)
    chair, _ = open_group(client, AMINA)
    assert chair.send("6").startswith("CON Pay each period's contributions to members in turn")
    body = chair.send("1")
    assert body.startswith("CON Payouts are on.\nUmoja Women")
    assert "6. Pay out" in body
    assert chair.send("6") == "END Nothing was contributed for week of 23 Nov."
    for phone in (AMINA, BARAKA):
        fund(timed, phone, 500_00)
        member = timed.members.by_phone(phone)
        timed.group_contributions.contribute_from_savings(member, group, "500", f"k{member.id}")
    chair, _ = open_group(client, AMINA)
    assert chair.send("6").startswith("CON Group payout for week of 23 Nov\nTo: Amina Wanjiru\nAmount: KES 1,000\n"
                                      "Fee: KES 0\nTotal: KES 1,000\n1. Yes\n2. No")  # one confirmation, then the PIN
    assert chair.send("1").startswith("CON Enter your PIN to confirm:")
    assert chair.send(PIN) == "END KES 1,000 paid into Amina Wanjiru's savings."
    amina = timed.members.by_phone(AMINA)
    assert timed.group_contributions.savings_balance(amina, "KES") == Money(1_000_00, "KES")
    assert timed.group_contributions.group_balance(group, amina) == Money(0, "KES")
    chair, _ = open_group(client, AMINA)
    assert chair.send("6") == "END The payout for week of 23 Nov was already made."
    chair, _ = open_group(client, AMINA)
    assert chair.send("4").startswith("CON Members and arrears\nAmina Wanjiru, chair: due now KES 0\n"
                                      "Baraka Otieno, member: due now KES 0")


def test_screens_fit_in_kiswahili_with_a_long_group_name(client, timed):
    handset = member_menu(client, AMINA, language="2")
    handset.send("4")
    handset.send("1")
    handset.send("Chama cha Akina Mama wa Umoja")
    handset.send("1500")
    handset.send("1")
    handset.send("7")
    assert handset.send("1").startswith("CON Unda Chama cha Akina Mama wa Umoja: KES 1,500 kila wiki, mkutano "
                                        "Jumapili, bila faini ya kuchelewa?")
    body = handset.send("1")
    assert "kimeundwa" in body
    chair, body = open_group(client, AMINA)
    assert body.startswith("CON Chama cha Akina Mama wa Umoja (") and body.endswith("\n98 Zaidi\n0 Rudi 00 Menyu")
    assert "6. Anzisha zamu" in chair.send("98")  # paged: the navigation line is never dropped


def test_a_member_who_left_meanwhile_is_told_not_crashed(client, timed):
    group = created(client, timed)
    join(client, timed, group)
    handset, _ = open_group(client, BARAKA, "Baraka Otieno")
    timed.group_memberships.leave(group, timed.members.by_phone(BARAKA))
    timed.session.flush()
    assert handset.send("3") == "END You are not a member of this group."


def test_ugx_group_amounts_have_no_decimals(client, timed):
    handset, _ = my_groups(client, "+256772000001", "Okello James")
    handset.send("1")
    handset.send("Bataka Savers")
    assert handset.send("5000.50").startswith("CON Too many decimals for this currency.")
    handset.send("5,000")
    handset.send("2")
    handset.send("10")
    assert handset.send("1,000").startswith("CON Create Bataka Savers: UGX 5,000 monthly, meeting on day 10, late "
                                            "fine UGX 1,000?")


# -- roles ------------------------------------------------------------------------------------------

CHEBET = "+254712000003"


def test_the_chair_names_a_treasurer_step_by_step(client, timed):
    group = created(client, timed)
    join(client, timed, group)
    join(client, timed, group, phone=CHEBET, name="Chebet Koech")
    member, body = open_group(client, BARAKA, "Baraka Otieno")
    assert "Set roles" not in body
    chair, body = open_group(client, AMINA)
    assert body.endswith("6. Start payouts\n7. Set roles\n98 More\n0 Back 00 Menu")
    assert chair.send("7").startswith("CON Set roles\n1. Baraka Otieno (member)\n2. Chebet Koech (member)")
    assert chair.send("1").startswith("CON Role for Baraka Otieno:\n1. Treasurer\n2. Secretary\n3. Member")
    assert chair.send("4").startswith("CON Choose a number from the list.\nRole for Baraka Otieno:")
    assert chair.send("1").startswith("CON Enter your PIN:")
    assert chair.send(PIN).startswith("CON Make Baraka Otieno treasurer of Umoja Women?\n1. Yes\n2. No")
    assert chair.send("1") == "END Baraka Otieno is now treasurer of Umoja Women."
    assert timed.group_memberships.membership(group, timed.members.by_phone(BARAKA)).role == "treasurer"

    chair, _ = open_group(client, AMINA)
    assert chair.send("7").startswith("CON Set roles\n1. Baraka Otieno (treasurer)\n2. Chebet Koech (member)")
    chair.send("2")
    assert chair.send("1").startswith("CON Baraka Otieno is already treasurer. Make them a member first.\n"
                                      "Role for Chebet Koech:")
    chair.send("2")
    chair.send(PIN)
    assert chair.send("1") == "END Chebet Koech is now secretary of Umoja Women."

    treasurer, body = open_group(client, BARAKA, "Baraka Otieno")
    assert "4. Members and arrears" in body and "Set roles" not in body


def test_a_role_refused_after_confirming_ends_the_session_unchanged(client, timed):
    group = created(client, timed)
    join(client, timed, group)
    chair, _ = open_group(client, AMINA)
    chair.send("7")
    chair.send("1")
    chair.send("2")
    chair.send(PIN)
    timed.group_memberships.set_role(group, timed.members.by_phone(AMINA), timed.members.by_phone(BARAKA).id, "chair")
    timed.session.commit()  # another session handed the chair over meanwhile
    assert chair.send("1") == "END Only the chair can do this."
    assert timed.group_memberships.membership(group, timed.members.by_phone(BARAKA)).role == "chair"


def test_a_chair_alone_has_nobody_to_name(client, timed):
    created(client, timed)
    chair, _ = open_group(client, AMINA)
    assert chair.send("7").startswith("CON Set roles\nNo other members yet.")


def test_role_and_period_screens_fit_in_kiswahili_with_a_30_character_group_name(client, timed):
    name = "Akiba ya Wakulima wa Kirinyaga"
    assert len(name) == 30
    handset = member_menu(client, AMINA, language="2")
    handset.send("4")
    handset.send("1")
    handset.send(name)
    handset.send("1500")
    handset.send("1")
    handset.send("3")
    handset.send("1")
    group = timed.group_memberships.by_code(handset.send("1").split(": ")[-1][:6]) or \
        timed.group_memberships.groups_of(timed.members.by_phone(AMINA))[0][0]
    join(client, timed, group, name="Baraka Otieno Mwangi Kamau")
    fund(timed, BARAKA, 1_500_00)
    baraka = timed.members.by_phone(BARAKA)
    timed.group_contributions.contribute_from_savings(baraka, group, "1500", "k-baraka")
    chair, body = open_group(client, AMINA)
    # Whole, not cut: too full to keep the navigation line, so it pages instead of dropping it.
    assert body.startswith(f"CON {name} (") and body.endswith("\n98 Zaidi\n0 Rudi 00 Menyu")
    assert chair.send("98") == "CON 6. Anzisha zamu\n7. Weka vyeo\n8. Faini ya kuchelewa\n9. Gawa pesa\n0 Rudi 00 Menyu"
    assert chair.send("7").startswith("CON Weka vyeo\n1. Baraka Otieno Mwangi Kamau (mwanachama)")
    assert chair.send("1").startswith("CON Cheo cha Baraka Otieno Mwangi Kamau:\n1. Mweka hazina\n2. Katibu")
    chair.send("2")
    assert chair.send(PIN).endswith(f"Mfanye Baraka Otieno Mwangi Kamau kuwa katibu wa {name}?\n1. Ndiyo\n"
                                    "2. Hapana\n0 Rudi 00 Menyu")
    assert chair.send("1") == f"END Baraka Otieno Mwangi Kamau sasa ni katibu wa {name}."
    chair, _ = open_group(client, AMINA)
    assert chair.send("3").startswith("CON Michango ya karibuni\nwiki ya 23 Nov Baraka KES 1,500")
