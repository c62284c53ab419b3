"""Typed settings (app/settings.py): parsed once at start-up, a bad value names its variable."""

import re
from datetime import time
from pathlib import Path

import pytest

from app import create_app
from app.config import DEFAULTS, ConfigError
from app.money import Money
from app.ratelimit import Limit
from app.settings import (
    TYPES,
    Settings,
    keyed_items,
    keyed_money,
    keyed_money_limits,
    money_amount,
    money_limits,
    optional_money,
    pairs,
)

ROOT = Path(__file__).resolve().parents[2]
FRAMEWORK_KEYS = {"SQLALCHEMY_DATABASE_URI", "BABEL_DEFAULT_LOCALE", "BABEL_DEFAULT_TIMEZONE",
                  "BABEL_TRANSLATION_DIRECTORIES", "TEST_SCHEMA"}
"""Keys Flask, Flask-SQLAlchemy, Flask-Babel or the tests set: not the operator's settings."""


def test_the_defaults_parse_into_python_values():
    settings = Settings.parse(DEFAULTS)
    assert settings.USSD_MAX_CHARS == 160
    assert settings.TWILIO_VALIDATE_SIGNATURE is True
    assert settings.CALLBACK_ALLOWED_IPS == ()
    assert settings.REMINDER_DAYS_BEFORE == (3, 1)
    assert settings.PAYMENT_PROVIDERS == {"KE": "sandbox", "UG": "sandbox", "GH": "sandbox", "RW": "sandbox"}
    assert settings.LOAN_KYC_TIERS == {0: 0, 1: 5000, 2: 50000, 3: 200000}
    assert settings.KYC_LIMITS.for_tier(0, "KES").balance == Money.from_major(5000, "KES")
    assert settings.KYC_LIMITS.for_tier(3, "KES").balance is None
    assert settings.GROUP_CONTRIBUTION_LIMITS["KES"] == Money.from_major(150000, "KES")
    assert settings.REMINDERS_AT == time(7, 0)
    assert settings.RATE_LIMIT_PER_PHONE == Limit(30, 60)


def test_every_typed_setting_has_a_default():
    assert set(TYPES) <= set(DEFAULTS)


def test_every_setting_the_code_reads_has_a_default():
    read = set()
    for folder in ("app", "channels", "menus"):
        for path in (ROOT / folder).rglob("*.py"):
            read |= set(re.findall(r"config(?:\.get\(|\[)[\"']([A-Z][A-Z0-9_]+)[\"']", path.read_text()))
    assert read - FRAMEWORK_KEYS - set(DEFAULTS) == set()


@pytest.mark.parametrize("name, value", [
    ("USSD_MAX_CHARS", "16O"), ("PAYMENT_PROVIDERS", "KE:mpesa"), ("LOAN_KYC_TIERS", "one=5000"),
    ("LOAN_SCORE_CAPS", "KES=1O0"), ("REMINDERS_AT", "7am"), ("RATE_LIMIT_PER_SOURCE", "20"),
    ("REMINDER_DAYS_AFTER", "1,seven"), ("KYC_LIMITS", "0.KES=5000/5000"), ("KYC_LIMITS", "7.KES=1/1/1"),
])
def test_an_invalid_value_stops_start_up_naming_the_variable(name, value):
    with pytest.raises(ConfigError, match=name):
        create_app({"APP_ENV": "test", name: value})


def test_the_app_parses_its_settings_once(app):
    assert isinstance(app.extensions["settings"], Settings)
    assert app.extensions["settings"].MAX_INPUT_ERRORS == int(app.config["MAX_INPUT_ERRORS"])


def test_money_is_written_cur_colon_amount_alone_per_currency_or_per_key():
    assert money_amount(" kes:500.50 ") == Money(50050, "KES")
    assert optional_money("") is None and optional_money("UGX:1000") == Money(1000, "UGX")
    assert money_limits("KES:100000, UGX:3000000,") == {"KES": Money.from_major(100000, "KES"),
                                                        "UGX": Money(3000000, "UGX")}
    assert keyed_money("mpesa=KES:50000, momo=UGX:1000000") == {"mpesa": Money.from_major(50000, "KES"),
                                                                "momo": Money(1000000, "UGX")}
    assert keyed_money_limits("a=KES:1,b=KES:2,a=UGX:3") == {
        "a": {"KES": Money.from_major(1, "KES"), "UGX": Money(3, "UGX")}, "b": {"KES": Money.from_major(2, "KES")}}
    assert keyed_items("a=1, a=2") == [("a", "1"), ("a", "2")] and pairs("a=1, a=2") == {"a": "2"}


@pytest.mark.parametrize("parser, bad", [
    (money_amount, "KES"), (money_amount, "500"), (money_amount, ":500"), (money_amount, "KES:"),
    (money_amount, "KES:1.234"), (money_limits, "KES:1,UGX"), (keyed_money, "mpesa"), (keyed_money, "mpesa=KES"),
    (keyed_money, "mpesa=50000"), (keyed_money, "=KES:1"), (keyed_money_limits, "a=KES:x"),
    (optional_money, "KES"),
])
def test_a_money_setting_that_does_not_read_is_refused(parser, bad):
    with pytest.raises((ValueError, ArithmeticError)):
        parser(bad)


def test_keyed_money_limits_refuses_a_key_it_does_not_know():
    with pytest.raises(ValueError, match="boss"):
        keyed_money_limits("boss=KES:1", keys=("loan_officer",))


@pytest.mark.parametrize("name, value", [
    ("LOAN_OFFICER_LIMITS", "boss=KES:1"), ("APPROVAL_THRESHOLDS", "kyc.tier3=always"),
    ("FLOAT_TOPUP_APPROVAL", "100000"), ("FLOAT_ALERT_THRESHOLDS", "mpesa=50000"), ("SMS_CREDIT_ALERT", "500"),
])
def test_a_bad_money_setting_stops_start_up_naming_the_variable(name, value):
    with pytest.raises(ConfigError, match=name):
        Settings.parse({**DEFAULTS, name: value})
