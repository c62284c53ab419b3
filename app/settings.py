"""Typed settings: every setting with a type is parsed and checked once, by `create_app`.

`app.config` keeps the environment's text (app/config.py DEFAULTS names every setting
and its default); `Settings.parse(config)` turns the typed ones into Python values:
integers, flags, lists, per-country and per-currency maps, times of day, rate limits.
A value that does not parse stops start-up with a ConfigError naming the variable, so a
typo is found by the deploy, not by the first member whose request reads it.

The app's Settings is `app.extensions["settings"]`; read a value as an attribute named
like the variable: `settings.USSD_MAX_CHARS` (int), `settings.PAYMENT_PROVIDERS`
({"KE": "sandbox", "KE:airtel": "airtel", ...}), `settings.PAYMENT_NETWORK_PREFIXES`
({"KE": {"73": "airtel"}}), `settings.LOAN_KYC_TIERS` ({0: 0, 1: 5000, 2: 50000, 3: 200000}),
`settings.KYC_LIMITS` (a KycLimitTable, app/members/kyc/tiers.py). Settings
without a type here (secrets, URLs, names) are read from `app.config` as text.
"""

from datetime import time

from app.config import ConfigError
from app.members.kyc.tiers import KycLimitTable
from app.money import Money
from app.operator_units import parse_operator_units
from app.payments.float_watch import parse_float_thresholds, parse_optional_money
from app.payments.networks import parse_prefixes
from app.ratelimit import Limit
from app.staff.approvals import Thresholds
from app.staff.permissions import LoanLimits


def integer(text):
    """`"160"` -> 160."""
    return int(str(text).strip())


def seconds(text):
    """`"2"` or `"0.5"` -> 2.0 / 0.5 (a wait in seconds)."""
    return float(str(text).strip())


def flag(text):
    """1/true/yes/on -> True; anything else False."""
    return str(text).strip().lower() in {"1", "true", "yes", "on"}


def items(text):
    """`"a, b,,c"` -> ("a", "b", "c"): comma-separated, stripped, empties dropped."""
    return tuple(item.strip() for item in str(text).split(",") if item.strip())


def integers(text):
    """`"3,1"` -> (3, 1)."""
    return tuple(int(item) for item in items(text))


def pairs(text):
    """`"KE=sandbox,UG=momo"` -> {"KE": "sandbox", "UG": "momo"} (keys may be `KE:airtel`, see PAYMENT_PROVIDERS)."""
    mapping = {}
    for item in items(text):
        key, separator, value = item.partition("=")
        if not separator or not key.strip() or not value.strip():
            raise ValueError(f"expected key=value, not {item!r}")
        mapping[key.strip()] = value.strip()
    return mapping


def levels(text):
    """`"0=0,1=5000"` -> {0: 0, 1: 5000} (KYC tier -> largest loan, major units)."""
    return {int(level): int(amount) for level, amount in pairs(text).items()}


def money_per_currency(text):
    """`"KES=150000,UGX=5000000"` -> {"KES": Money, ...} (major units, as an operator writes them)."""
    return {currency: Money.from_major(major, currency) for currency, major in pairs(text).items()}


def money_limits(text):
    """`"KES:100000,UGX:3000000"` -> {"KES": Money, ...} (an amount per currency, major units)."""
    limits = {}
    for item in items(text):
        currency, separator, major = item.partition(":")
        if not separator or not currency.strip() or not major.strip():
            raise ValueError(f"expected CUR:amount, not {item!r}")
        limits[currency.strip().upper()] = Money.from_major(major.strip(), currency.strip().upper())
    return limits


def time_of_day(text):
    """`"07:00"` -> time(7, 0) (local time, in TIMEZONE)."""
    return time.fromisoformat(str(text).strip())


TYPES = {
    **dict.fromkeys((
        "HOP_DEADLINE_MS", "REDIS_TIMEOUT_MS", "USSD_MAX_CHARS", "USSD_SESSION_TTL", "CHAT_SESSION_TTL",
        "MAX_INPUT_ERRORS", "PIN_MAX_ATTEMPTS", "PIN_LOCK_MINUTES", "TRUSTED_PROXIES", "MAX_CONTENT_LENGTH",
        "SANDBOX_PAYMENT_DELAY", "PAYMENT_PENDING_RECONCILE_MINUTES", "RECONCILE_EVERY_MINUTES",
        "OUTBOX_STUCK_SECONDS", "OUTBOX_MAX_ATTEMPTS", "OUTBOX_GIVE_UP_HOURS", "SMS_CONFIRMATION_TTL",
        "SMS_CONFIRMATION_ATTEMPTS", "RECIPIENT_LOOKUPS_PER_HOUR", "INBOUND_DEDUPE_TTL", "ALERT_SCAN_EVERY_MINUTES",
        "ALERT_SCAN_LOOKBACK_MINUTES", "ALERT_STRUCTURING_COUNT", "ALERT_STRUCTURING_MARGIN_PERCENT",
        "ALERT_STRUCTURING_WINDOW_HOURS", "ALERT_PASS_THROUGH_PERCENT", "ALERT_PASS_THROUGH_WINDOW_MINUTES",
        "ALERT_CHANGE_WINDOW_HOURS", "ALERT_AGENT_MEMBER_MAX_PER_DAY", "STAFF_MAX_FAILED_LOGINS",
        "STAFF_LOCK_MINUTES", "STAFF_MIN_PASSWORD_LENGTH", "DISPUTE_SLA_HOURS", "PIN_RESET_CODE_MINUTES",
        "PIN_RESET_REQUEST_DAYS", "PHONE_CHANGE_CODE_MINUTES", "MOMO_NUMBER_PAYOUT_HOLD_HOURS",
        "FLOAT_CHECK_EVERY_MINUTES", "CONSOLE_IDLE_MINUTES"), integer),
    "DB_POOL_TIMEOUT": seconds,
    "TWILIO_VALIDATE_SIGNATURE": flag,
    "CALLBACK_ALLOWED_IPS": items,
    **dict.fromkeys(("REMINDER_DAYS_BEFORE", "REMINDER_DAYS_AFTER", "CONTRIBUTION_REMINDER_DAYS_BEFORE"), integers),
    "PAYMENT_PROVIDERS": pairs,
    "PAYMENT_NETWORK_PREFIXES": parse_prefixes,
    "LOAN_KYC_TIERS": levels,
    "KYC_LIMITS": KycLimitTable.parse,
    **dict.fromkeys(("GROUP_CONTRIBUTION_LIMITS", "LOAN_SCORE_CAPS"), money_per_currency),
    **dict.fromkeys(("REMINDERS_AT", "AGENT_SUMMARY_AT", "LOANS_AGEING_AT", "PAR_SNAPSHOT_AT"), time_of_day),
    **dict.fromkeys(("RATE_LIMIT_PER_PHONE", "RATE_LIMIT_PER_SOURCE", "CONSOLE_SIGNIN_RATE"), Limit.parse),
    "LOAN_OFFICER_LIMITS": LoanLimits.parse,
    "APPROVAL_THRESHOLDS": Thresholds.parse,
    "FLOAT_TOPUP_APPROVAL": money_limits,
    "FLOAT_ALERT_THRESHOLDS": parse_float_thresholds,
    "SMS_CREDIT_ALERT": parse_optional_money,
    "OPERATOR_MINOR_UNITS": parse_operator_units,
}
"""Setting name -> parser of its text. Each parser raises on a value it cannot read."""


class Settings:
    """The typed settings of one app, as attributes named like the variables (see the module docstring)."""

    def __init__(self, values):
        self.__dict__.update(values)

    @classmethod
    def parse(cls, config):
        """Parse every typed setting of `config`; raise ConfigError naming each one that does not parse."""
        values, problems = {}, []
        for name, parser in TYPES.items():
            try:
                values[name] = parser(config[name])
            except (KeyError, TypeError, ValueError, ArithmeticError) as error:
                problems.append(f"{name}={config.get(name)!r} is not valid ({parser.__name__}: {error})")
        if problems:
            raise ConfigError("refusing to start: " + "; ".join(problems))
        return cls(values)
