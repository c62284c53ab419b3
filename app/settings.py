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

Money settings are written one way everywhere, `CUR:amount` in major units, alone
(`money_amount`, `optional_money`), per currency (`money_limits`) or per key
(`keyed_money`, `keyed_money_limits`): the domain's limit tables (LoanLimits, Thresholds,
KycLimitTable) are built here from those, so each format is read by one function.
"""

from datetime import time

from app.config import ConfigError
from app.members.kyc.tiers import TIERS, KycLimitTable, TierLimits
from app.money import Money
from app.operator_units import parse_operator_units
from app.payments.networks import parse_prefixes
from app.ratelimit import Limit
from app.staff.approvals import ALWAYS, Thresholds
from app.staff.permissions import ROLES, LoanLimits


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


def keyed_items(text, expected="key=value"):
    """`"a=x, b=y"` -> [("a", "x"), ("b", "y")]: in order, a key may repeat; an item without key or value
    is a ValueError saying the `expected` form."""
    found = []
    for item in items(text):
        key, separator, value = (piece.strip() for piece in item.partition("="))
        if not separator or not key or not value:
            raise ValueError(f"expected {expected}, not {item!r}")
        found.append((key, value))
    return found


def pairs(text):
    """`"KE=sandbox,UG=momo"` -> {"KE": "sandbox", "UG": "momo"} (keys may be `KE:airtel`, see PAYMENT_PROVIDERS)."""
    return dict(keyed_items(text))


def levels(text):
    """`"0=0,1=5000"` -> {0: 0, 1: 5000} (KYC tier -> largest loan, major units)."""
    return {int(level): int(amount) for level, amount in pairs(text).items()}


def money_per_currency(text):
    """`"KES=150000,UGX=5000000"` -> {"KES": Money, ...} (major units, as an operator writes them)."""
    return {currency: Money.from_major(major, currency) for currency, major in pairs(text).items()}


def money_amount(text):
    """`"KES:500"` -> Money (major units; the currency upper-cased)."""
    currency, colon, major = (piece.strip() for piece in str(text).partition(":"))
    if not colon or not currency or not major:
        raise ValueError(f"expected CUR:amount, not {str(text).strip()!r}")
    return Money.from_major(major, currency.upper())


def optional_money(text):
    """`"KES:500"` -> Money; empty -> None (not set: SMS_CREDIT_ALERT not watched)."""
    return money_amount(text) if str(text).strip() else None


def money_limits(text):
    """`"KES:100000,UGX:3000000"` -> {"KES": Money, ...} (an amount per currency, major units)."""
    return {amount.currency: amount for amount in map(money_amount, items(text))}


def keyed_money(text):
    """`"mpesa=KES:50000,momo=UGX:1000000"` -> {"mpesa": Money, ...} (one amount per key, major units)."""
    return {key: money_amount(value) for key, value in keyed_items(text, "key=CUR:amount")}


def keyed_money_limits(text, keys=None):
    """`"loan_officer=KES:50000,loan_officer=UGX:1000000"` -> {key: {currency: Money}} (a key may repeat per
    currency); with `keys`, a key not among them is a ValueError."""
    limits = {}
    for key, value in keyed_items(text, "key=CUR:amount"):
        if keys is not None and key not in keys:
            raise ValueError(f"unknown {key!r} in {key}={value}; expected one of {', '.join(keys)}")
        amount = money_amount(value)
        limits.setdefault(key, {})[amount.currency] = amount
    return limits


def loan_officer_limits(text):
    """LOAN_OFFICER_LIMITS `"loan_officer=KES:50000,branch_manager=KES:500000"` -> LoanLimits (roles from ROLES)."""
    return LoanLimits(keyed_money_limits(text, keys=ROLES))


def approval_thresholds(text):
    """APPROVAL_THRESHOLDS `"payments.resolve=KES:10000,kyc.tier3=0"` -> Thresholds: `action=CUR:amount` (per
    currency), or `action=<a bare number>`: always a checker."""
    limits = {}
    for action, value in keyed_items(text, "action=CUR:amount or action=0"):
        if ":" in value:
            amount = money_amount(value)
            limits.setdefault(action, {})[amount.currency] = amount
        elif value.isdigit():
            limits[action] = ALWAYS
        else:
            raise ValueError(f"expected action=CUR:amount or action=0, not {action}={value}")
    return Thresholds(limits)


def kyc_limits(text):
    """KYC_LIMITS `"0.KES=5000/5000/-,..."` -> KycLimitTable: `tier.CUR=balance/in/out`, whole major units,
    `-` for no KYC limit (app/members/kyc/tiers.py)."""
    expected = "tier.CUR=balance/in/out (tier 0-3)"
    limits = {}
    for key, value in keyed_items(text, expected):
        tier, dot, currency = key.partition(".")
        parts = value.split("/")
        if not dot or len(parts) != 3 or int(tier) not in TIERS:
            raise ValueError(f"expected {expected}, not {key}={value}")
        currency = currency.strip().upper()
        limits[(int(tier), currency)] = TierLimits(*(
            None if part.strip() == "-" else Money.from_major(int(part), currency) for part in parts))
    return KycLimitTable(limits)


def time_of_day(text):
    """`"07:00"` -> time(7, 0) (local time, in TIMEZONE)."""
    return time.fromisoformat(str(text).strip())


DEFAULT_PREPARE_THRESHOLD = object()
"""DB_PREPARE_THRESHOLD left empty: psycopg's own default (prepare a statement after its 5th run)."""


def prepare_threshold(text):
    """`""` -> psycopg's default; `"none"` -> None (never prepare: PgBouncer in transaction pooling);
    `"0"`, `"5"`, ... -> prepare from that run on."""
    text = str(text).strip().lower()
    if not text:
        return DEFAULT_PREPARE_THRESHOLD
    return None if text == "none" else integer(text)


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
    "DB_PREPARE_THRESHOLD": prepare_threshold,
    "TWILIO_VALIDATE_SIGNATURE": flag,
    "CALLBACK_ALLOWED_IPS": items,
    **dict.fromkeys(("REMINDER_DAYS_BEFORE", "REMINDER_DAYS_AFTER", "CONTRIBUTION_REMINDER_DAYS_BEFORE"), integers),
    "PAYMENT_PROVIDERS": pairs,
    "PAYMENT_NETWORK_PREFIXES": parse_prefixes,
    "LOAN_KYC_TIERS": levels,
    "KYC_LIMITS": kyc_limits,
    **dict.fromkeys(("GROUP_CONTRIBUTION_LIMITS", "LOAN_SCORE_CAPS"), money_per_currency),
    **dict.fromkeys(("REMINDERS_AT", "AGENT_SUMMARY_AT", "LOANS_AGEING_AT", "PAR_SNAPSHOT_AT", "GROUP_FINES_AT",
                     "GROUP_PAYOUTS_AT"), time_of_day),
    **dict.fromkeys(("RATE_LIMIT_PER_PHONE", "RATE_LIMIT_PER_SOURCE", "CONSOLE_SIGNIN_RATE"), Limit.parse),
    "LOAN_OFFICER_LIMITS": loan_officer_limits,
    "APPROVAL_THRESHOLDS": approval_thresholds,
    "FLOAT_TOPUP_APPROVAL": money_limits,
    "FLOAT_ALERT_THRESHOLDS": keyed_money,
    "SMS_CREDIT_ALERT": optional_money,
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
