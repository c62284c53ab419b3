"""Typed settings (app/settings.py): parsed once at start-up, a bad value names its variable."""

import re
from datetime import time
from pathlib import Path

import pytest

from app import create_app
from app.config import DEFAULTS, ConfigError
from app.money import Money
from app.ratelimit import Limit
from app.settings import TYPES, Settings

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
