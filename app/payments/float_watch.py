"""Float and credit alerts: the money we pay out from, watched so finance tops it up in time.

Watched (the scheduled `check_floats` job, every FLOAT_CHECK_EVERY_MINUTES):

- each operator named in FLOAT_ALERT_THRESHOLDS ("mpesa=KES:50000,momo=UGX:1000000", major
  units; app/settings.py `keyed_money`): the B2C / disbursement account. MoMo answers at once
  (`GET /disbursement/v1_0/account/balance`); Daraja's AccountBalance is asynchronous, so
  the job only asks and the result, POSTed to `/payments/mpesa/balance`, is checked
  when it comes (`observe_mpesa_result`), reading MPESA_FLOAT_ACCOUNT ("Utility Account",
  the account B2C pays from). A provider without a balance query (the sandbox) is skipped;
- Africa's Talking's SMS credit against SMS_CREDIT_ALERT ("KES:500"; empty = not watched;
  app/settings.py `optional_money`), through the SMS sender's `credit()` (channels/sms_sender.py),
  handed in by the composition root as `sms_credit` (no domain package imports channels/).

Below its threshold, a source opens one `float_low` finance work item per source and local
day (dedupe key `float_low:<source>:<day>`): finance (and its SMS) hears once a day, not
every hour. One source that cannot be asked never stops the others: its failure is
returned in the Check and logged, and the next run asks again.
"""

from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import NamedTuple

from app.money import Money, minor_digits
from app.observability import logger

SMS_CREDIT = "sms_credit"
"""The source name of Africa's Talking's SMS credit."""
WORK_KIND = "float_low"


def reported_money(currency, amount):
    """An operator's balance text (`"1785.5000"`) as Money, cut down to the currency's minor unit."""
    try:
        value = Decimal(str(amount).replace(",", "").strip())
    except InvalidOperation:
        raise ValueError(f"{amount!r} is not an amount") from None
    if not value.is_finite():
        raise ValueError(f"{amount!r} is not an amount")
    return Money.from_major(value.quantize(Decimal(1).scaleb(-minor_digits(currency)), ROUND_DOWN), currency)


class Check(NamedTuple):
    source: str
    balance: Money | None
    """None: asked, the answer comes later (Daraja), or it could not be asked (see `error`)."""
    threshold: Money
    work_item_id: int | None = None
    error: str | None = None


class FloatWatch:
    def __init__(self, *, clock, providers, work_queue, thresholds, sms_credit_threshold, sms_credit=None,
                 mpesa_account="Utility Account"):
        self.clock = clock
        self.providers = providers
        self.work_queue = work_queue
        self.thresholds = thresholds
        self.sms_credit_threshold = sms_credit_threshold
        self.sms_credit = sms_credit
        """callable() -> (currency, amount text), or None when the SMS sender cannot tell (the console)."""
        self.mpesa_account = mpesa_account

    def check_all(self):
        """Ask every watched source; return a Check each (alerts opened for those found low)."""
        checks = [self._ask(name, threshold) for name, threshold in self.thresholds.items()]
        if self.sms_credit_threshold is not None and self.sms_credit is not None:
            try:
                balance = reported_money(*self.sms_credit())
            except Exception as error:  # noqa: BLE001 - one source must not stop the others; logged, next run asks
                logger.exception("float watch: SMS credit not read")
                checks.append(Check(SMS_CREDIT, None, self.sms_credit_threshold, error=str(error)[:200]))
            else:
                checks.append(self.observe(SMS_CREDIT, balance, self.sms_credit_threshold))
        return checks

    def _ask(self, name, threshold):
        try:
            provider = self.providers.get(name)
            query = getattr(provider, "query_balance", None)
            if query is None:
                return Check(name, None, threshold, error="no balance query for this provider")
            balance = query()
        except Exception as error:  # noqa: BLE001 - one source must not stop the others; logged, next run asks
            logger.exception("float watch: %s balance not read", name)
            return Check(name, None, threshold, error=str(error)[:200])
        if balance is None:  # asked; the operator answers on the result URL
            return Check(name, None, threshold)
        return self.observe(name, balance, threshold)

    def observe(self, source, balance, threshold=None):
        """Check one balance now known; opens (once per local day) a finance item when it is below the threshold."""
        threshold = threshold or self.thresholds.get(source)
        if threshold is None:
            return Check(source, balance, None)
        if balance.currency != threshold.currency:
            return Check(source, balance, threshold, error=f"balance in {balance.currency}, threshold in "
                                                            f"{threshold.currency}: not compared")
        if balance >= threshold:
            return Check(source, balance, threshold)
        day = self.clock.today().isoformat()
        what = "Africa's Talking SMS credit" if source == SMS_CREDIT else f"{source} disbursement float"
        item = self.work_queue.open(
            WORK_KIND, ("float", source), "finance",
            summary=f"{what} is {balance.currency} {balance.major}, below {threshold.currency} {threshold.major}: "
                    "top it up", dedupe_key=f"{WORK_KIND}:{source}:{day}",
            details={"source": source, "balance_minor": balance.minor, "threshold_minor": threshold.minor,
                     "currency": balance.currency, "day": day})
        return Check(source, balance, threshold, work_item_id=item.id)

    def observe_mpesa_result(self, payload):
        """A Daraja AccountBalance result: check MPESA_FLOAT_ACCOUNT's balance; None when it says nothing usable."""
        provider = self.providers.get("mpesa")
        balance = provider.parse_balance_result(payload, self.mpesa_account)
        return self.observe("mpesa", balance) if balance is not None else None
