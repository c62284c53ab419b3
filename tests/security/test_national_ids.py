"""Issue 11, beyond the list: national ID numbers encrypted at rest, looked up by keyed hash, shown masked.

The attack is a read of the database (a dump, a backup, a SQL injection): it must
yield no ID number. Registration goes through the real menus and the real
PostgreSQL; the row is then read back with plain SQL, column by column.
"""

import base64
import os

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from app import create_app
from app.extensions import db
from app.members.identity import DEVELOPMENT_KEYS, IdentityError, IdentityKeys
from app.members.pin_hashing import check_pin
from app.services import build_services
from tests.app.agents.agent_helpers import AGENT_PHONE, AGENT_PIN, new_agent
from tests.migration_helpers import scratch_app
from tests.ussd_helpers import UssdPhone, register

NATIONAL_ID = "27451938"
LOOKUP_KEY = "x" * 40


def key(seed):
    return base64.b64encode(seed.encode().ljust(32, b"-")[:32]).decode()


def raw_row(session, phone):
    """Every column of the member's row as text, the way a dump would show it."""
    row = session.execute(text("SELECT * FROM members WHERE phone = :phone"), {"phone": phone}).mappings().one()
    return {name: str(value) for name, value in row.items()}


def test_the_database_row_holds_no_national_id(client, services, session):
    register(client, phone="+254712345678", national_id=NATIONAL_ID)
    row = raw_row(session, "+254712345678")
    assert not any(NATIONAL_ID in value or NATIONAL_ID[-4:] in value for value in row.values()), row
    assert "national_id" not in row
    member = services.members.by_phone("+254712345678")
    assert services.members.national_id(member) == NATIONAL_ID


def test_the_same_id_encrypts_differently_each_time(services):
    keys = services.identity_keys
    assert keys.encrypt(NATIONAL_ID) != keys.encrypt(NATIONAL_ID)
    assert keys.lookup_hash(NATIONAL_ID) == keys.lookup_hash(NATIONAL_ID)


def test_is_this_id_registered_still_works(client, services):
    register(client, phone="+254712345678", national_id=NATIONAL_ID)
    found = services.members.by_national_id(f" {NATIONAL_ID} ")
    assert [member.phone for member in found] == ["+254712345678"]
    assert services.members.by_national_id("99999999") == []
    assert services.members.by_national_id("x") == []


def test_a_key_rotation_keeps_old_rows_readable_and_reencrypt_moves_them(app, session):
    before = build_services(app, session)
    before.config = {**app.config, "ID_ENCRYPTION_KEYS": f"k1={key('one')}", "ID_LOOKUP_KEY": LOOKUP_KEY}
    member = before.members.register(phone="+254712000111", name="Amina Wanjiru", national_id=NATIONAL_ID,
                                     locale="en")
    assert member.national_id_encrypted.startswith("k1$")
    after = build_services(app, session)
    after.config = {**app.config, "ID_ENCRYPTION_KEYS": f"k2={key('two')},k1={key('one')}",
                    "ID_LOOKUP_KEY": LOOKUP_KEY}
    assert after.members.national_id(member) == NATIONAL_ID  # the old key id still decrypts
    assert after.members.reencrypt(member) is True
    assert member.national_id_encrypted.startswith("k2$")
    assert after.members.reencrypt(member) is False
    dropped = build_services(app, session)
    dropped.config = {**app.config, "ID_ENCRYPTION_KEYS": f"k2={key('two')}", "ID_LOOKUP_KEY": LOOKUP_KEY}
    assert dropped.members.national_id(member) == NATIONAL_ID
    assert [m.id for m in dropped.members.by_national_id(NATIONAL_ID)] == [member.id]


def test_a_tampered_or_moved_ciphertext_does_not_decrypt():
    keys = IdentityKeys.parse(f"k1={key('one')},k2={key('two')}", LOOKUP_KEY)
    stored = keys.encrypt(NATIONAL_ID)
    with pytest.raises(IdentityError):
        keys.decrypt("k2$" + stored.partition("$")[2])  # relabelled to another key
    with pytest.raises(IdentityError):
        keys.decrypt(stored[:-4] + ("AAAA" if not stored.endswith("AAAA") else "BBBB"))
    with pytest.raises(IdentityError):
        IdentityKeys.parse(f"k2={key('two')}", LOOKUP_KEY).decrypt(stored)


@pytest.mark.parametrize("config", [
    {"APP_ENV": "production"},
    {"APP_ENV": "production", "ID_ENCRYPTION_KEYS": "k1=" + key("one")},
    {"APP_ENV": "production", "ID_LOOKUP_KEY": LOOKUP_KEY},
    {"APP_ENV": "production", "ID_ENCRYPTION_KEYS": "k1=c2hvcnQ=", "ID_LOOKUP_KEY": LOOKUP_KEY},
    {"APP_ENV": "development", "ID_ENCRYPTION_KEYS": "k1", "ID_LOOKUP_KEY": LOOKUP_KEY},
])
def test_production_never_runs_on_missing_or_malformed_keys(config):
    with pytest.raises(IdentityError):
        IdentityKeys.from_config(config)


def test_development_runs_on_the_published_keys():
    assert IdentityKeys.from_config({"APP_ENV": "test"}).current_id == DEVELOPMENT_KEYS.partition("=")[0]


def test_the_profile_shows_the_id_masked(client):
    handset = register(client, national_id=NATIONAL_ID)
    handset.send("5")
    text_ = "\n".join([handset.send("1"), handset.send("98")])
    assert "ID: ***938" in text_ and NATIONAL_ID not in text_


def test_the_agent_confirmation_shows_the_id_masked(app, client, session):
    new_agent(build_services(app, db.session))
    session.commit()
    agent = UssdPhone(client, AGENT_PHONE, service_code="*384*2#")
    agent.dial()
    for value in (AGENT_PIN, "1", "0733000123", "Juma Hamisi", NATIONAL_ID):
        agent.send(value)
    confirm = agent.send("1")
    assert "ID ***938" in confirm and NATIONAL_ID not in confirm


# -- migration 0008: existing plaintext rows ------------------------------------------------------------

SCHEMA = f"t_ids_{os.getpid()}"


@pytest.fixture
def scratch(app):
    with scratch_app(app, SCHEMA, APP_ENV="test", PIN_PEPPER="p" * 40, PIN_PEPPER_ID="7",
                     ID_ENCRYPTION_KEYS=f"m1={key('migration')}", ID_LOOKUP_KEY=LOOKUP_KEY) as application:
        yield application


def test_migration_0008_encrypts_existing_ids_and_names_the_pepper(scratch):
    from app.members.pin_hashing import Peppers, hash_pin

    legacy = hash_pin("4821", Peppers.parse("p" * 40, "7")).replace("pbkdf2_sha256$7$", "pbkdf2_sha256$", 1)
    with scratch.app_context():
        upgrade(revision="0007")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO members (phone, name, national_id, locale, currency, pin_hash, "
                              "pin_failures, kyc_level, preferred_channel, sms_opted_out) VALUES "
                              "('+254700000001', 'Amina Wanjiru', :id, 'en', 'KES', :pin, 0, 2, 'sms', false)"),
                         {"id": NATIONAL_ID, "pin": legacy})
            conn.execute(text("INSERT INTO agents (code, phone, name, locale, currency, pin_hash, pin_failures, "
                              "status, per_transaction_limit_minor, daily_limit_minor) VALUES "
                              "('A9', '+254700000002', 'Juma Otieno', 'en', 'KES', :pin, 0, 'active', 1, 1)"),
                         {"pin": legacy})
        upgrade(revision="0008")
        with db.engine.connect() as conn:
            row = conn.execute(text("SELECT * FROM members")).mappings().one()
            agent_hash = conn.execute(text("SELECT pin_hash FROM agents")).scalar_one()
        assert NATIONAL_ID not in " ".join(str(value) for value in row.values())
        keys = IdentityKeys.from_config(scratch.config)
        assert keys.decrypt(row["national_id_encrypted"]) == NATIONAL_ID
        assert row["national_id_lookup"] == keys.lookup_hash(NATIONAL_ID)
        assert row["pin_hash"].startswith("pbkdf2_sha256$7$") and agent_hash.startswith("pbkdf2_sha256$7$")
        rotated = Peppers.parse("q" * 40, "8", "7=" + "p" * 40)
        assert check_pin("4821", row["pin_hash"], rotated)
        downgrade(revision="0007")
        with db.engine.connect() as conn:
            back = conn.execute(text("SELECT national_id, pin_hash FROM members")).one()
        assert back == (NATIONAL_ID, legacy)


@pytest.mark.parametrize("setting, value", [("ID_ENCRYPTION_KEYS", "k1=not-a-key"), ("PIN_OLD_PEPPERS", "nonsense"),
                                            ("PIN_PEPPER_ID", "has$dollar")])
def test_a_malformed_member_secret_stops_start_up_naming_it(setting, value):
    with pytest.raises(ValueError, match=setting):
        create_app({"APP_ENV": "development", setting: value})
