"""Configuration, read once from the environment (12-factor).

Every setting the service knows is named here with its default, so an operator can
read one file to learn what can be tuned. `load_config` turns the environment into
the flat mapping Flask keeps in `app.config`; nothing else reads `os.environ`. The
settings that are numbers, lists, maps or times are parsed and checked once, at
start-up, into `app.extensions["settings"]` (app/settings.py).
"""

import os

DEFAULTS = {
    # Shared state. Empty means: start the embedded real servers under instance/.
    "DATABASE_URL": "",
    "REDIS_URL": "",
    # Read-only paths (statements, exports, PAR reports) on a read replica; empty = the primary
    # (app/replica.py, docs/scaling.md)
    "DATABASE_REPLICA_URL": "",
    # psycopg's server-side prepared statements: empty = its default (after 5 runs); "none" = never,
    # required behind PgBouncer in transaction pooling mode (docs/scaling.md)
    "DB_PREPARE_THRESHOLD": "",
    # Waiting on a dependency (issue 11: a hung database must not hang every request). The statement
    # and lock timeouts are set on the database role by migration 0011 (0 = none; empty = leave the
    # role as it is); the pool wait is for a free pooled connection; the hop deadline is the app's
    # own, for a database that cannot answer at all (app/deadline.py)
    "DB_STATEMENT_TIMEOUT_MS": "5000",
    "DB_LOCK_TIMEOUT_MS": "2000",
    "DB_POOL_TIMEOUT": "2",
    "HOP_DEADLINE_MS": "1500",
    # Longest wait for one Redis answer or connection: a request makes a few Redis calls in a row
    "REDIS_TIMEOUT_MS": "500",
    # Product
    "USSD_CODE": "*384*1#",
    "AGENT_USSD_CODE": "*384*2#",
    "DEFAULT_CURRENCY": "KES",
    "DEFAULT_LOCALE": "en",
    "DEFAULT_REGION": "KE",
    "TIMEZONE": "Africa/Nairobi",
    "USSD_MAX_CHARS": "160",
    "USSD_SESSION_TTL": "180",
    "CHAT_SESSION_TTL": "600",
    "MAX_INPUT_ERRORS": "3",
    # Security
    "PIN_PEPPER": "dev-only-pepper-change-me",
    # The id stored with each PIN hash made with PIN_PEPPER, and the previous peppers ("id=secret,id=secret")
    # that still verify older hashes until each member's next right PIN re-hashes (app/members/pin_hashing.py)
    "PIN_PEPPER_ID": "1",
    "PIN_OLD_PEPPERS": "",
    # National IDs at rest (app/members/identity.py): AES-256-GCM keys "kid=base64-32-bytes,..." (the first
    # encrypts, all decrypt) and the HMAC key of the lookup hash; empty = published keys, development only
    "ID_ENCRYPTION_KEYS": "",
    "ID_LOOKUP_KEY": "",
    "PIN_MAX_ATTEMPTS": "3",
    "PIN_LOCK_MINUTES": "30",
    "SECRET_KEY": "dev-only-secret-change-me",
    "PUBLIC_URL": "http://127.0.0.1:5000",
    "CALLBACK_TOKEN": "dev-callback-token",
    # Optional per-operator callback secrets (empty: CALLBACK_TOKEN); any callback token may be "current,previous"
    # while a secret is rotated (requests go out with the first, callbacks are accepted with either)
    "MPESA_CALLBACK_TOKEN": "",
    "MOMO_CALLBACK_TOKEN": "",
    "AIRTEL_CALLBACK_TOKEN": "",
    "CALLBACK_ALLOWED_IPS": "",
    # Load balancers in front of the app: how many X-Forwarded-For hops to trust (0: none, no ProxyFix)
    "TRUSTED_PROXIES": "0",
    # Largest request body in bytes (a /ussd hop is under 1 KiB; larger answers 413, or END on /ussd)
    "MAX_CONTENT_LENGTH": "65536",
    # Rate limits, "count/seconds": hops per phone per channel (USSD, SMS, WhatsApp), and failed
    # token/signature checks per source address (over it, nothing from that address is answered)
    "RATE_LIMIT_PER_PHONE": "30/60",
    "RATE_LIMIT_PER_SOURCE": "20/60",
    # Africa's Talking
    "AT_USERNAME": "sandbox",
    "AT_API_KEY": "",
    "AT_SENDER_ID": "",
    "AFRICASTALKING_API_URL": "",
    # Twilio
    "TWILIO_ACCOUNT_SID": "",
    "TWILIO_AUTH_TOKEN": "",
    "TWILIO_WHATSAPP_FROM": "",
    "TWILIO_API_URL": "",
    "TWILIO_VALIDATE_SIGNATURE": "1",
    # Mobile money
    # Which operator moves a number's money: "country=provider" for a whole country and "country:network=provider"
    # for one network in it (KE=mpesa,KE:airtel=airtel,UG=momo,UG:airtel=airtel); the network is the number's
    # (PAYMENT_NETWORK_PREFIXES first, then phonenumbers' carrier data). A provider tied to one network (mpesa:
    # safaricom, momo: mtn, airtel: airtel) is never chosen for a number known to be on another one.
    "PAYMENT_PROVIDERS": "KE=sandbox,UG=sandbox,GH=sandbox,RW=sandbox",
    # Corrections to the carrier data, "country:network=prefix,prefix;..." with prefixes of the national number
    # (e.g. "KE:airtel=73,750,751,752,753,754,755,756,762,78,100,101,102;KE:safaricom=70,71,72,74,79,110,111");
    # the longest matching prefix wins, empty = carrier data only (app/payments/networks.py)
    "PAYMENT_NETWORK_PREFIXES": "",
    "MPESA_BASE_URL": "https://sandbox.safaricom.co.ke",
    "MPESA_CONSUMER_KEY": "",
    "MPESA_CONSUMER_SECRET": "",
    # The paybill, or for Buy Goods the store number (BusinessShortCode); the till is PartyB of a Buy Goods push
    "MPESA_SHORTCODE": "174379",
    "MPESA_PASSKEY": "",
    "MPESA_TRANSACTION_TYPE": "CustomerPayBillOnline",
    "MPESA_TILL_NUMBER": "",
    "MPESA_B2C_COMMAND_ID": "BusinessPayment",
    "MPESA_B2C_SHORTCODE": "600000",
    "MPESA_INITIATOR_NAME": "",
    "MPESA_SECURITY_CREDENTIAL": "",
    "MOMO_BASE_URL": "https://sandbox.momodeveloper.mtn.com",
    "MOMO_TARGET_ENVIRONMENT": "sandbox",
    # The currency MoMo moves here; in the sandbox (MOMO_TARGET_ENVIRONMENT=sandbox) it is sent as EUR, same number
    "MOMO_CURRENCY": "UGX",
    "MOMO_COLLECTION_SUBSCRIPTION_KEY": "",
    "MOMO_COLLECTION_USER": "",
    "MOMO_COLLECTION_API_KEY": "",
    "MOMO_DISBURSEMENT_SUBSCRIPTION_KEY": "",
    "MOMO_DISBURSEMENT_USER": "",
    "MOMO_DISBURSEMENT_API_KEY": "",
    # Airtel Money (Airtel Africa Open API; UAT https://openapiuat.airtel.africa, live https://openapi.airtel.africa).
    # X-Country and X-Currency come from each payment; the disbursement PIN goes RSA-encrypted with AIRTEL_PUBLIC_KEY
    # (Base64 DER as the portal gives it, or PEM)
    "AIRTEL_BASE_URL": "https://openapiuat.airtel.africa",
    "AIRTEL_CLIENT_ID": "",
    "AIRTEL_CLIENT_SECRET": "",
    "AIRTEL_PUBLIC_KEY": "",
    "AIRTEL_DISBURSEMENT_PIN": "",
    "SANDBOX_PAYMENT_DELAY": "3",
    "PAYMENT_PENDING_RECONCILE_MINUTES": "5",
    # What mobile money can carry per currency, in minor units ("KES=100": whole shillings, as Daraja needs;
    # a currency not listed: every minor unit). Amounts members type and new loan products' schedules, fees
    # and penalties are multiples of it (app/operator_units.py)
    "OPERATOR_MINOR_UNITS": "KES=100,UGX=1,TZS=100,RWF=1",
    # Savings: per-currency limits over the built-in ones, "KES=min:per_transaction:per_day" in major units
    # (app/savings/limits.py; empty = the operators' own limits)
    "SAVINGS_LIMITS": "",
    # Savings groups: the most one contribution may be, per currency, in major units
    "GROUP_CONTRIBUTION_LIMITS": "KES=150000,UGX=5000000,TZS=3000000,RWF=2000000,GHS=20000",
    # KYC tiers (app/members/kyc/tiers.py): 0 phone only, 1 ID given, 2 ID verified, 3 documents sighted.
    # Per tier and currency, the largest savings balance and the most in and out per day, major units
    # ("tier.CUR=balance/in/out", "-" = no limit; a tier and currency not listed has no KYC limits)
    "KYC_LIMITS": ",".join((
        "0.KES=5000/5000/5000", "1.KES=50000/50000/50000", "2.KES=300000/150000/150000",
        "0.UGX=150000/150000/150000", "1.UGX=1500000/1500000/1500000", "2.UGX=9000000/5000000/5000000",
        "0.TZS=100000/100000/100000", "1.TZS=1000000/1000000/1000000", "2.TZS=6000000/3000000/3000000",
        "0.RWF=50000/50000/50000", "1.RWF=500000/500000/500000", "2.RWF=3000000/1500000/1500000",
        "0.GHS=500/500/500", "1.GHS=5000/5000/5000", "2.GHS=30000/15000/15000",
        "0.ZMW=1000/1000/1000", "1.ZMW=10000/10000/10000", "2.ZMW=60000/30000/30000")),
    # Loans: the largest loan per KYC tier in major units ("tier=max"; tier 0 borrows nothing; a tier above
    # all is unlimited), the limit a perfect credit score allows per currency, and where an SMS/USSD loan is
    # paid out by default
    "LOAN_KYC_TIERS": "0=0,1=5000,2=50000,3=200000",
    "LOAN_SCORE_CAPS": "KES=100000,UGX=3000000,TZS=2000000,RWF=1000000,GHS=10000",
    "LOAN_DEFAULT_DESTINATION": "mobile_money",
    # Messaging
    "QUIET_HOURS": "21:00-07:00",
    "WHATSAPP_TEMPLATES": "",
    "REMINDER_DAYS_BEFORE": "3,1",
    "REMINDER_DAYS_AFTER": "1,7",
    "CONTRIBUTION_REMINDER_DAYS_BEFORE": "1",
    "REMINDERS_AT": "07:00",
    "AGENT_SUMMARY_AT": "19:00",
    "LOANS_AGEING_AT": "00:30",
    # The daily PAR snapshot the console's dashboard draws (after the ageing run)
    "PAR_SNAPSHOT_AT": "00:45",
    # Groups: late fines for yesterday's meetings (charged from savings), then each due payout
    # proposed to the officials, who confirm it with their PIN
    "GROUP_FINES_AT": "06:00",
    "GROUP_PAYOUTS_AT": "18:00",
    "RECONCILE_EVERY_MINUTES": "5",
    # Outbox sweep: a message still queued this long after its last change is sent again; after this many
    # provider calls or hours it is marked failed
    "OUTBOX_STUCK_SECONDS": "120",
    "OUTBOX_MAX_ATTEMPTS": "6",
    "OUTBOX_GIVE_UP_HOURS": "24",
    "APP_ENV": "production",
    "SMS_CONFIRMATION_TTL": "300",
    "SMS_CONFIRMATION_ATTEMPTS": "3",
    # How many numbers a member may look up (Send money, SEND by SMS) per hour: no directory of names
    "RECIPIENT_LOOKUPS_PER_HOUR": "30",
    "INBOUND_DEDUPE_TTL": "172800",
    # Compliance alerts (app/alerts): each velocity rule's window and threshold; the scheduler scans every
    # ALERT_SCAN_EVERY_MINUTES the movements of the last ALERT_SCAN_LOOKBACK_MINUTES (overlaps raise nothing twice)
    "ALERT_SCAN_EVERY_MINUTES": "5",
    "ALERT_SCAN_LOOKBACK_MINUTES": "120",
    "ALERT_STRUCTURING_COUNT": "3",
    "ALERT_STRUCTURING_MARGIN_PERCENT": "10",
    "ALERT_STRUCTURING_WINDOW_HOURS": "24",
    "ALERT_PASS_THROUGH_PERCENT": "80",
    "ALERT_PASS_THROUGH_WINDOW_MINUTES": "60",
    "ALERT_CHANGE_WINDOW_HOURS": "48",
    "ALERT_AGENT_MEMBER_MAX_PER_DAY": "5",
    # Staff (app/staff): sign-in lockout after this many failures, for this long; shortest password;
    # the largest loan each role may decide ("role=CUR:amount", major units); actions that need a second
    # staff member above an amount ("action=CUR:amount", or "action=0": always), see app/staff/approvals.py
    "STAFF_MAX_FAILED_LOGINS": "5",
    "STAFF_LOCK_MINUTES": "15",
    "STAFF_MIN_PASSWORD_LENGTH": "12",
    "LOAN_OFFICER_LIMITS": "loan_officer=KES:50000,branch_manager=KES:500000",
    "APPROVAL_THRESHOLDS": "payments.resolve=KES:10000,payments.reverse=KES:10000,loans.write_off=KES:0,kyc.tier3=0",
    # Agents (app/agents): hours an agent dispute may stay open or investigating before it escalates to the
    # branch manager; float top-ups above this amount per currency ("CUR:amount", major units) need a branch
    # manager's approval
    "DISPUTE_SLA_HOURS": "48",
    "FLOAT_TOPUP_APPROVAL": "KES:100000",
    # Member access (app/members/pin_reset.py, app/members/access.py): the number blocked members and reset
    # alerts tell them to call; how long a PIN-reset or phone-change code works; how long an unapproved
    # forgotten-PIN request stays open
    "SUPPORT_PHONE": "0800 720 000",
    "PIN_RESET_CODE_MINUTES": "30",
    "PIN_RESET_REQUEST_DAYS": "7",
    "PHONE_CHANGE_CODE_MINUTES": "30",
    # A member's own mobile-money number (app/members/momo_numbers.py): hours after it is confirmed before any
    # payout goes to it (collections from it are allowed at once)
    "MOMO_NUMBER_PAYOUT_HOLD_HOURS": "24",
    # Finance alerts (app/payments/float_watch.py): the disbursement float per operator ("provider=CUR:amount",
    # major units; empty = not watched) and Africa's Talking's SMS credit ("CUR:amount"; empty = not watched),
    # checked every FLOAT_CHECK_EVERY_MINUTES; below them, a finance work item once a day. MPESA_FLOAT_ACCOUNT
    # is the account of Daraja's AccountBalance answer that B2C pays from
    "FLOAT_ALERT_THRESHOLDS": "",
    "SMS_CREDIT_ALERT": "",
    "FLOAT_CHECK_EVERY_MINUTES": "60",
    "MPESA_FLOAT_ACCOUNT": "Utility Account",
    # The back-office console (channels/console/): a signed-in session ends after this many idle minutes;
    # sign-in attempts per source address ("count/seconds"); Secure cookies ("auto": all but development/test,
    # where the console runs on plain http://127.0.0.1)
    "CONSOLE_IDLE_MINUTES": "30",
    "CONSOLE_SIGNIN_RATE": "10/60",
    "CONSOLE_SECURE_COOKIES": "auto",
    "LOG_LEVEL": "INFO",
}


DEVELOPMENT_ENVS = frozenset({"development", "test"})
"""APP_ENV values that may run on the published development defaults and embedded servers."""

SECRETS = ("CALLBACK_TOKEN", "PIN_PEPPER", "SECRET_KEY", "ID_ENCRYPTION_KEYS", "ID_LOOKUP_KEY")
"""Settings production must set to a long random value of its own (add new secret settings here)."""

MIN_SECRET_LENGTH = 32
"""Shortest secret accepted outside development: 32 random characters are out of reach of guessing."""

SERVER_URLS = ("DATABASE_URL", "REDIS_URL")
"""Empty means an embedded server: allowed only in development, never a silent default in production."""


class ConfigError(RuntimeError):
    """The configuration is unsafe to run with; the message names each setting at fault."""


def is_development(config):
    return str(config.get("APP_ENV", "production")).strip().lower() in DEVELOPMENT_ENVS


def check_production(config):
    """Refuse, outside development/test, missing/default/short secrets and empty server URLs.

    The defaults in DEFAULTS are published in this repository, so a production that
    runs on them can be forged by anyone who read it (a payment callback with the
    default CALLBACK_TOKEN credits any payment). Raises ConfigError naming every
    setting at fault; returns None when the configuration may start.
    """
    if is_development(config):
        return
    problems = []
    for name in SECRETS:
        value = str(config.get(name) or "")
        if not value:
            problems.append(f"{name} is not set")
        elif value == DEFAULTS.get(name):
            problems.append(f"{name} is the published development default")
        elif len(value) < MIN_SECRET_LENGTH:
            problems.append(f"{name} is shorter than {MIN_SECRET_LENGTH} characters")
    problems += [f"{name} is not set (embedded servers run only in development)"
                 for name in SERVER_URLS if not config.get(name)]
    if problems:
        raise ConfigError(
            f"refusing to start with APP_ENV={config.get('APP_ENV')!s}: " + "; ".join(problems) + ". "
            f"Set each secret to a random value of at least {MIN_SECRET_LENGTH} characters "
            "(python -c 'import secrets; print(secrets.token_urlsafe(48))'), or APP_ENV=development on a "
            "developer's machine.")


def load_config(environ=None):
    """Return the settings as a dict: environment values over the defaults."""
    environ = os.environ if environ is None else environ
    return {name: environ.get(name, default) for name, default in DEFAULTS.items()}

