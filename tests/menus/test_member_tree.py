"""The member tree end to end through /ussd, as Africa's Talking drives it."""

from datetime import UTC, datetime, timedelta

from tests.ussd_helpers import UssdPhone, register

PHONE = "+254712345678"


def start_registration(client, language="1"):
    handset = UssdPhone(client, PHONE)
    handset.dial()
    handset.send(language)
    return handset


def login(client, pin="4821", phone=PHONE):
    handset = UssdPhone(client, phone)
    assert handset.dial() == "CON Welcome to Pamoja. Enter your PIN:\n(Forgot PIN? Reply #)"
    body = handset.send(pin)
    assert body.startswith("CON Pamoja\n1. Savings"), body
    return handset


# -- registration -----------------------------------------------------------------------------------


def test_registration_happy_path(client, services):
    handset = start_registration(client)
    assert handset.send("Amina Wanjiru") == "CON Enter your national ID number:\n0 Back 00 Menu"
    assert handset.send("12345678") == "CON Choose a 4-digit PIN:\n0 Back 00 Menu"
    assert handset.send("4821") == "CON Enter the PIN again:\n0 Back 00 Menu"
    body = handset.send("4821")
    assert body.startswith("CON Welcome, Amina Wanjiru! You are registered.\nPamoja\n1. Savings\n")
    assert "6. Exit" in body
    member = services.members.by_phone(PHONE)
    assert member.name == "Amina Wanjiru" and member.locale == "en"
    assert services.members.national_id(member) == "12345678"
    assert member.currency == "KES" and not member.needs_pin


def test_registration_in_kiswahili(client, services):
    handset = UssdPhone(client, PHONE)
    handset.dial()
    assert handset.send("2").startswith("CON Weka jina lako kamili:\n0 Rudi 00 Menyu")
    handset.send("Baraka Otieno")
    handset.send("A1234567")
    handset.send("5739")
    body = handset.send("5739")
    assert body.startswith("CON Karibu, Baraka Otieno! Umesajiliwa.\nPamoja\n1. Akiba\n2. Mikopo\n3. Malipo")
    assert services.members.by_phone(PHONE).locale == "sw"


def test_longest_name_keeps_every_main_menu_option(client):
    name = "Wanjiku Nyambura Kamau Odhiambo Wairimu Njeri Achieng Atieno"
    assert len(name) == 60
    handset = register(client, name=name)
    body = handset.post(handset.text)  # the same request again: the same reply
    assert body.endswith("5. My account\n6. Exit") and len(body) - 4 <= 160
    assert name not in UssdPhone(client, PHONE).dial()  # no name before the PIN


def test_name_with_digits_is_refused_on_the_same_screen(client):
    handset = start_registration(client)
    body = handset.send("Amina 2000")
    assert body.startswith("CON Enter your name in letters, 3 to 60 characters.\nEnter your full name:")
    assert handset.send("Amina Wanjiru").startswith("CON Enter your national ID number:")


def test_national_id_too_short_is_refused(client):
    handset = start_registration(client)
    handset.send("Amina Wanjiru")
    body = handset.send("1234")
    assert body.startswith("CON Enter an ID number of 5 to 12 digits or letters.\nEnter your national ID number:")


def test_weak_pin_is_refused(client):
    handset = start_registration(client)
    handset.send("Amina Wanjiru")
    handset.send("12345678")
    body = handset.send("1234")
    assert body.startswith("CON Choose 4 digits that are not easy to guess.\nChoose a 4-digit PIN:")


def test_pin_mismatch_goes_back_to_choosing_the_pin(client, services):
    handset = start_registration(client)
    handset.send("Amina Wanjiru")
    handset.send("12345678")
    handset.send("4821")
    body = handset.send("4822")
    assert body.startswith("CON The PINs did not match. Try again.\nChoose a 4-digit PIN:")
    assert services.members.by_phone(PHONE) is None
    # Back from the PIN goes to the ID, not forward to the abandoned confirmation.
    assert handset.send("0").startswith("CON Enter your national ID number:")
    handset.send("12345678")
    handset.send("5739")
    assert handset.send("5739").startswith("CON Welcome, Amina Wanjiru!")


def test_double_zero_before_login_starts_over(client):
    handset = start_registration(client)
    handset.send("Amina Wanjiru")
    assert handset.send("00").startswith("CON Karibu Pamoja! Welcome!")
    # The language screen is the start again: 0 does not lead forward to the name.
    assert handset.send("0").startswith("CON Reply 1 for English or 2 for Kiswahili.\nKaribu Pamoja!")


# -- returning members and PIN lock -----------------------------------------------------------------


def test_returning_member_is_asked_the_pin_without_a_name(client):
    register(client)
    handset = UssdPhone(client, PHONE)
    body = handset.dial()
    assert body == "CON Welcome to Pamoja. Enter your PIN:\n(Forgot PIN? Reply #)"
    assert "Savings" not in body
    assert handset.send("4821").startswith("CON Pamoja\n1. Savings")


def test_wrong_pin_says_how_many_tries_are_left(client):
    register(client)
    handset = UssdPhone(client, PHONE)
    handset.dial()
    assert handset.send("1111") == ("CON Wrong PIN. 2 tries left.\nWelcome to Pamoja. Enter your PIN:\n"
                                    "(Forgot PIN? Reply #)")
    assert handset.send("2222").startswith("CON Wrong PIN. 1 try left.")


def test_three_wrong_pins_lock_across_sessions_until_the_lock_lifts(client, services, session):
    register(client)
    first = UssdPhone(client, PHONE)
    first.dial()
    first.send("1111")
    first.send("2222")
    second = UssdPhone(client, PHONE)
    second.dial()
    body = second.send("3333")
    assert body == "END Your account is locked after too many wrong PINs. Try again in 30 min."
    again = UssdPhone(client, PHONE).dial()
    assert again.startswith("CON Your account is locked") and "min." in again
    assert again.endswith("1. Forgot PIN\n2. Exit")
    member = services.members.by_phone(PHONE)
    assert member.pin_locked_until is not None
    member.pin_locked_until = datetime.now(UTC) - timedelta(minutes=1)
    session.flush()
    login(client)


# -- my account -------------------------------------------------------------------------------------


def test_change_pin(client, services):
    handset = register(client)
    assert handset.send("5").startswith("CON My account\n1. My profile\n2. Change PIN\n3. Language")
    assert handset.send("2").startswith("CON Enter your current PIN:")
    assert handset.send("1111").startswith("CON Wrong PIN. 2 tries left.\nEnter your current PIN:")
    assert handset.send("4821").startswith("CON Enter a new 4-digit PIN:")
    assert handset.send("1234").startswith("CON Choose 4 digits that are not easy to guess.")
    handset.send("5739")
    body = handset.send("5740")
    assert body.startswith("CON The PINs did not match. Try again.\nEnter a new 4-digit PIN:")
    handset.send("5739")
    assert handset.send("5739") == "END Your PIN has been changed."
    assert services.members.by_phone(PHONE).pin_failures == 0
    login(client, pin="5739")
    old = UssdPhone(client, PHONE)
    old.dial()
    assert old.send("4821").startswith("CON Wrong PIN.")


def test_change_pin_refuses_the_current_pin(client, services):
    handset = register(client)
    handset.send("5")
    handset.send("2")
    handset.send("4821")
    assert handset.send("4821").startswith("CON Your new PIN must be different from your current PIN.\n"
                                           "Enter a new 4-digit PIN:")
    handset.send("5739")
    assert handset.send("5739") == "END Your PIN has been changed."


def test_change_language_to_kiswahili(client, services):
    handset = register(client)
    handset.send("5")
    assert handset.send("3").startswith("CON Choose language:\n1. English\n2. Kiswahili")
    body = handset.send("2")
    assert body.startswith("CON Lugha imebadilishwa.\nPamoja\n1. Akiba\n2. Mikopo\n3. Malipo\n4. Vikundi vyangu\n"
                           "5. Akaunti yangu")
    assert services.members.by_phone(PHONE).locale == "sw"
    # Before the PIN nothing tells a caller the member's language; after it, the menus are hers.
    again = UssdPhone(client, PHONE)
    assert again.dial() == "CON Welcome to Pamoja. Enter your PIN:\n(Forgot PIN? Reply #)"
    assert again.send("4821").startswith("CON Pamoja\n1. Akiba")


def test_language_choice_must_be_one_of_the_two(client):
    handset = register(client)
    handset.send("5")
    handset.send("3")
    assert handset.send("3").startswith("CON Reply 1 for English or 2 for Kiswahili.\nChoose language:")


def test_profile_masks_phone_and_id(client):
    handset = register(client)
    handset.send("5")
    pages = [handset.send("1")]
    while "98 More" in pages[-1]:
        pages.append(handset.send("98"))
    text = "\n".join(pages)
    assert pages[0].startswith("CON My profile\nName: Amina Wanjiru")
    assert "Phone: +2547****5678" in text
    assert "ID: ***678" in text
    assert "Language: English" in text and "Member since" in text
    assert "12345678" not in text and "712345678" not in text
    assert all(len(page) - 4 <= 160 for page in pages)


def test_member_since_is_the_local_date(client, services, session):
    handset = register(client)
    services.members.by_phone(PHONE).created_at = datetime(2025, 3, 1, 22, 30, tzinfo=UTC)  # 01:30 in Nairobi
    session.flush()
    handset.send("5")
    pages = [handset.send("1")]
    while "98 More" in pages[-1]:
        pages.append(handset.send("98"))
    assert "Member since 2 Mar 2025" in "\n".join(pages)


def test_double_zero_from_a_deep_screen_returns_to_main(client):
    handset = register(client)
    handset.send("5")
    handset.send("2")
    assert handset.send("00").startswith("CON Pamoja\n1. Savings")
    assert handset.send("0").startswith("CON Pamoja\n1. Savings")  # 0 on the main menu is not an error


def test_back_from_account_returns_to_main(client):
    handset = register(client)
    handset.send("5")
    assert handset.send("0").startswith("CON Pamoja\n1. Savings")


def test_exit_says_goodbye(client):
    handset = register(client)
    assert handset.send("6") == "END Thank you for using Pamoja."


# -- agent-registered members ------------------------------------------------------------------------


def test_agent_registered_member_sets_a_pin_on_first_dial(client, services):
    member = services.members.register(phone=PHONE, name="Juma Hassan", national_id="99887766", locale="en",
                                       pin=None, agent_id=7)
    assert member.needs_pin
    handset = UssdPhone(client, PHONE)
    assert handset.dial() == "CON Welcome to Pamoja. Choose a 4-digit PIN:"
    assert handset.send("0000").startswith("CON Choose 4 digits that are not easy to guess.")
    handset.send("5739")
    assert handset.send("5739").startswith("CON Your PIN is set.\nPamoja\n1. Savings")
    assert not services.members.by_phone(PHONE).needs_pin
    login(client, pin="5739")


# -- expiry said ------------------------------------------------------------------------------------


def timed_out(redis, handset):
    """The session's TTL ran out (the way Redis forgets it)."""
    redis.delete(f"pamoja:session:ussd:{handset.session_id}")


def test_the_dial_after_a_session_timed_out_mid_flow_says_so(client, redis):
    handset = register(client)
    handset.send("1")
    handset.send("4")  # Withdraw: the amount screen, then the member walks away
    timed_out(redis, handset)
    again = UssdPhone(client, PHONE)
    assert again.dial() == ("CON Your last session timed out. Nothing was changed.\n"
                            "Welcome to Pamoja. Enter your PIN:\n(Forgot PIN? Reply #)")
    assert again.send("4821").startswith("CON Pamoja\n1. Savings")
    assert login(client)  # said once: the next dial is the usual one


def test_the_dial_after_a_finished_or_idle_home_session_says_nothing(client, redis):
    handset = register(client)
    handset.send("6")  # Exit: ended
    assert login(client)
    idle = login(client)  # left on the main menu: nothing was half done
    timed_out(redis, idle)
    assert login(client)


def test_the_expiry_note_is_in_the_login_screens_language(client, redis):
    # Nothing personal before the PIN, not even the member's language: the note reads like the login screen.
    handset = register(client, language="2")
    handset.send("1")
    handset.send("4")
    timed_out(redis, handset)
    assert UssdPhone(client, PHONE).dial().startswith("CON Your last session timed out. Nothing was changed.\n"
                                                      "Welcome to Pamoja.")


def test_member_chooses_whatsapp_for_notifications_and_switches_back(client, services, session):
    """My account > Notifications: SMS or WhatsApp (members.preferred_channel, read by the notification service)."""
    handset = register(client)
    menu = handset.send("5")
    assert "5. Notifications" in menu and "0 Back 00 Menu" in menu
    assert handset.send("5").startswith("CON Notifications come by SMS. Choose:\n1. SMS\n2. WhatsApp")
    assert handset.send("3").startswith("CON Reply 1 for SMS or 2 for WhatsApp.\nNotifications come by SMS.")
    assert handset.send("2").startswith("CON Notifications will come by WhatsApp.\nPamoja\n1. Savings")
    member = services.members.by_phone(PHONE)
    assert member.preferred_channel == "whatsapp"
    handset.send("5")
    profile = handset.send("1")
    while "98 More" in profile:
        profile += handset.send("98")
    assert "Notifications: WhatsApp" in profile
    handset.send("00")  # back on the main menu: the next dial has no half-done session to speak of
    handset = login(client)
    handset.send("5")
    assert handset.send("5").startswith("CON Notifications come by WhatsApp.")
    handset.send("1")
    session.refresh(member)
    assert member.preferred_channel == "sms"


def test_notifications_choice_in_kiswahili(client, services, session):
    handset = register(client)
    handset.send("5")
    handset.send("3")
    handset.send("2")  # Kiswahili
    account = handset.send("5")
    assert "5. Arifa" in account and len(account) - 4 <= 160
    assert handset.send("5").startswith("CON Arifa zinakuja kwa SMS. Chagua:\n1. SMS\n2. WhatsApp")
    assert handset.send("2").startswith("CON Arifa zitakuja kwa WhatsApp.\nPamoja\n1. Akiba")
