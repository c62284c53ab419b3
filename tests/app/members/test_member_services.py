"""The member service (app/members/services.py) and PIN hashing (app/members/pin_hashing.py)."""

import time
from datetime import UTC, datetime

import pytest

from app.members import errors
from app.members.pin_hashing import check_pin, hash_pin, is_pin_shaped, pin_digest_for_session
from app.members.services import MemberService
from tests.clock_helpers import fixed_clock
from tests.member_helpers import TEST_IDENTITY

PHONE = "+254712345678"
PEPPER = "service-test-pepper"


clock = fixed_clock(datetime(2025, 3, 1, 9, 0, tzinfo=UTC))


@pytest.fixture
def notices():
    return []


@pytest.fixture
def members(session, clock, notices):
    return MemberService(session, clock=clock, pepper=PEPPER, identity=TEST_IDENTITY, max_attempts=3, lock_minutes=30,
                         notify=lambda member, kind, **params: notices.append((kind, params)))


@pytest.fixture
def member(members):
    return members.register(phone=PHONE, name="Amina Wanjiru", national_id="12345678", locale="sw", pin="4821")


# -- rules (pure) -----------------------------------------------------------------------------------


@pytest.mark.parametrize("raw, cleaned", [
    ("Amina Wanjiru", "Amina Wanjiru"),
    ("  amina   wanjiru ", "Amina Wanjiru"),
    ("AMINA WANJIRU", "Amina Wanjiru"),
    ("McDonald O'Neil", "McDonald O'Neil"),
    ("Jean-Pierre Mbeki", "Jean-Pierre Mbeki"),
    ("Zoë Müller", "Zoë Müller"),
    ("Abe", "Abe"),
])
def test_clean_name_accepts(raw, cleaned):
    assert MemberService.clean_name(raw) == cleaned


@pytest.mark.parametrize("raw", ["", None, "Al", "Amina 2", "R2D2", "a" * 61, "Amina_W", "Amina 😀",
                                 "--", "Amina  -  W", "Amina!"])
def test_clean_name_refuses(raw):
    with pytest.raises(errors.InvalidName):
        MemberService.clean_name(raw)


@pytest.mark.parametrize("raw, cleaned", [("12345678", "12345678"), (" a1234567 ", "A1234567"),
                                          ("12345", "12345"), ("123456789012", "123456789012")])
def test_clean_national_id_accepts(raw, cleaned):
    assert MemberService.clean_national_id(raw) == cleaned


@pytest.mark.parametrize("raw", ["", None, "1234", "1234567890123", "1234 5678", "12-345678", "١٢٣٤٥٦"])
def test_clean_national_id_refuses(raw):
    with pytest.raises(errors.InvalidNationalId):
        MemberService.clean_national_id(raw)


@pytest.mark.parametrize("pin", ["1234", "0000", "9999", "4321", "123", "12345", "abcd", "", None, "٤٨٢١"])
def test_check_new_pin_refuses_weak_or_malformed(pin):
    with pytest.raises(errors.WeakPin):
        MemberService.check_new_pin(pin)


@pytest.mark.parametrize("pin", ["4821", "1357", "0192"])
def test_check_new_pin_accepts_a_good_pin(pin):
    assert MemberService.check_new_pin(pin) is None  # no WeakPin raised


# -- registration -----------------------------------------------------------------------------------


def test_register_stores_a_member(member, members, notices):
    assert member.id is not None
    assert members.by_phone(PHONE) is member
    assert members.get(member.id) is member
    assert member.locale == "sw" and member.currency == "KES" and member.pin_failures == 0
    assert notices == [("welcome", {"name": "Amina Wanjiru"})]


def test_register_twice_is_refused(member, members):
    with pytest.raises(errors.AlreadyRegistered):
        members.register(phone=PHONE, name="Someone Else", national_id="87654321", locale="en", pin="5739")


def test_register_refuses_a_weak_pin(members):
    with pytest.raises(errors.WeakPin):
        members.register(phone=PHONE, name="Amina Wanjiru", national_id="12345678", locale="en", pin="1234")
    assert members.by_phone(PHONE) is None


def test_register_falls_back_to_english_for_unsupported_locale(members):
    member = members.register(phone=PHONE, name="Amina Wanjiru", national_id="12345678", locale="xx", pin="4821")
    assert member.locale == "en"


def test_register_uses_the_currency_of_the_phone(members):
    member = members.register(phone="+256772123456", name="Okello James", national_id="CM12345678",
                              locale="en", pin="4821")
    assert member.currency == "UGX"


def test_agent_registration_without_pin(members):
    member = members.register(phone=PHONE, name="Juma Hassan", national_id="99887766", locale="en", pin=None,
                              agent_id=3)
    assert member.needs_pin and member.registered_by_agent_id == 3
    assert isinstance(members.check_pin(member, "4821"), errors.NoPin)
    members.set_pin(member, "5739")
    assert members.check_pin(member, "5739") is None


def test_first_pin_of_an_agent_registered_member_sends_no_pin_changed_alert(members, notices):
    member = members.register(phone=PHONE, name="Wanjiku Kamau", national_id="22334455", locale="en")
    members.set_pin(member, "4829")
    assert [kind for kind, _params in notices] == ["welcome"]
    members.set_pin(member, "5739")
    assert [kind for kind, _params in notices] == ["welcome", "pin_changed"]


def test_unknown_lookups_return_none(members):
    assert members.by_phone("+254700000999") is None
    assert members.get(987654321) is None


# -- PIN checks and lockout -------------------------------------------------------------------------


def test_right_pin(member, members):
    assert members.check_pin(member, "4821") is None


def test_wrong_pins_count_down_then_lock(member, members, clock, notices):
    first = members.check_pin(member, "1111")
    assert isinstance(first, errors.WrongPin) and first.attempts_left == 2
    assert members.check_pin(member, "2222").attempts_left == 1
    locked = members.check_pin(member, "3333")
    assert isinstance(locked, errors.PinLocked)
    assert locked.until == datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
    assert member.pin_locked_until == locked.until
    assert notices[-1] == ("pin_locked", {"minutes": 30})
    assert locked.message.render("en") == "Your account is locked after too many wrong PINs. Try again in 30 min."


def test_locked_member_is_refused_even_the_right_pin_until_the_lock_lifts(member, members, clock):
    for pin in ("1111", "2222", "3333"):
        members.check_pin(member, pin)
    clock.advance(minutes=10)
    refused = members.check_pin(member, "4821")
    assert isinstance(refused, errors.PinLocked)
    assert refused.message.params == {"minutes": 20}
    assert members.locked_minutes_left(member) == 20
    clock.advance(seconds=20 * 60 - 30)
    assert members.locked_minutes_left(member) == 1  # rounds up: never "0 min" while locked
    clock.advance(seconds=30)
    assert members.locked_minutes_left(member) == 0
    assert members.check_pin(member, "4821") is None
    assert member.pin_locked_until is None and member.pin_failures == 0


def test_right_pin_resets_the_failure_count(member, members):
    members.check_pin(member, "1111")
    members.check_pin(member, "2222")
    assert members.check_pin(member, "4821") is None
    assert member.pin_failures == 0
    assert members.check_pin(member, "1111").attempts_left == 2


@pytest.mark.parametrize("pin", ["", None, "48211", "482", "abcd", "٤٨٢١"])
def test_malformed_pin_counts_as_wrong(member, members, pin):
    assert isinstance(members.check_pin(member, pin), errors.WrongPin)
    assert member.pin_failures == 1


def test_set_pin_clears_a_lock(member, members, notices):
    for pin in ("1111", "2222", "3333"):
        members.check_pin(member, pin)
    members.set_pin(member, "5739")
    assert member.pin_locked_until is None and member.pin_failures == 0
    assert members.check_pin(member, "5739") is None
    assert notices[-1] == ("pin_changed", {})


def test_set_pin_refuses_a_weak_pin(member, members):
    with pytest.raises(errors.WeakPin):
        members.set_pin(member, "0000")
    assert members.check_pin(member, "4821") is None


# -- language ---------------------------------------------------------------------------------------


def test_set_locale(member, members):
    members.set_locale(member, "en")
    assert member.locale == "en"


def test_set_locale_unsupported_is_refused(member, members):
    with pytest.raises(errors.MemberError):
        members.set_locale(member, "fr")
    assert member.locale == "sw"


def test_notifications_channel_is_sms_or_whatsapp(member, members):
    members.set_preferred_channel(member, "whatsapp")
    assert member.preferred_channel == "whatsapp"
    with pytest.raises(errors.MemberError):
        members.set_preferred_channel(member, "email")
    assert member.preferred_channel == "whatsapp"
    members.set_preferred_channel(member, "sms")
    assert member.preferred_channel == "sms"


# -- SMS opt-out ------------------------------------------------------------------------------------


def test_sms_opt_out_and_back_in(member, members):
    assert member.sms_opted_out is False
    members.set_sms_opt_out(member, True)
    assert member.sms_opted_out is True
    members.set_sms_opt_out(member, False)
    assert member.sms_opted_out is False


# -- errors render in both languages ----------------------------------------------------------------


def test_wrong_pin_message_in_kiswahili():
    assert errors.WrongPin(2).message.render("sw") == "PIN si sahihi. Umebakiza majaribio 2."


# -- pins.py (pure) ---------------------------------------------------------------------------------


def test_hash_format():
    stored = hash_pin("4821", PEPPER)
    scheme, pepper_id, iterations, salt, digest = stored.split("$")
    assert scheme == "pbkdf2_sha256" and pepper_id == "1" and int(iterations) > 0
    assert len(salt) == 32 and len(digest) == 64
    assert len(stored) <= 128  # the members.pin_hash column


def test_hash_is_salted():
    assert hash_pin("4821", PEPPER) != hash_pin("4821", PEPPER)


def test_check_pin_right_wrong_and_wrong_pepper():
    stored = hash_pin("4821", PEPPER)
    assert check_pin("4821", stored, PEPPER)
    assert not check_pin("4822", stored, PEPPER)
    assert not check_pin("4821", stored, "another-pepper")


@pytest.mark.parametrize("stored", [None, "", "garbage", "md5$1$salt$digest", "pbkdf2_sha256$1$salt"])
def test_check_pin_refuses_malformed_stored_forms(stored):
    assert not check_pin("4821", stored, PEPPER)


@pytest.mark.parametrize("pin", ["4821", "0482", "5739", "1000"])
def test_hash_never_contains_the_pin(pin, monkeypatch):
    # A fixed salt makes this exact: random hex could hold any four digits by chance.
    monkeypatch.setattr("app.members.pin_hashing.secrets.token_hex", lambda size: "ab" * size)
    stored = hash_pin(pin, PEPPER)
    assert pin not in stored
    assert check_pin(pin, stored, PEPPER)


def test_verifying_a_pin_is_fast():
    stored = hash_pin("4821", PEPPER)
    started = time.perf_counter()
    for _ in range(20):
        check_pin("4821", stored, PEPPER)
    assert (time.perf_counter() - started) / 20 < 0.005 * 4  # 5 ms target, slack for a busy CI box


def test_session_digest_is_bound_to_session_and_pepper():
    digest = pin_digest_for_session("4821", PEPPER, "ussd:s1")
    assert digest == pin_digest_for_session("4821", PEPPER, "ussd:s1")
    assert digest != pin_digest_for_session("4821", PEPPER, "ussd:s2")
    assert digest != pin_digest_for_session("4821", "other", "ussd:s1")


@pytest.mark.parametrize("text, shaped", [("4821", True), ("482", False), ("48a1", False), ("٤٨٢١", False)])
def test_is_pin_shaped(text, shaped):
    assert is_pin_shaped(text) is shaped
