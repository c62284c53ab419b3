"""Money as an exact value: integer minor units with a currency.

Floats are refused at the boundary; arithmetic refuses mixed currencies; splits
hand out the remainder so the parts always add up. Parsing reads what a person
types on a keypad in their locale (`1,500`, `1500`, `1 500`, `1500.50`), and
formatting goes through Babel, then is made GSM-7 safe (Babel puts non-breaking
spaces in some locales, which would turn a whole SMS into UCS-2; app/typography.py).
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from babel.numbers import format_currency, get_currency_precision

from app.typography import plain_spaces

MAX_TYPED_DIGITS = 12
"""More digits than this is a typo or an attack, not an amount."""


def minor_digits(currency):
    """How many minor-unit digits the currency has (KES 2, UGX 0)."""
    return get_currency_precision(currency)


@dataclass(frozen=True, order=False)
class Money:
    """An amount in minor units of one currency, immutable."""

    minor: int
    currency: str

    def __post_init__(self):
        if isinstance(self.minor, bool) or not isinstance(self.minor, int):
            raise TypeError(f"Money needs integer minor units, got {self.minor!r}")
        if not (isinstance(self.currency, str) and len(self.currency) == 3 and self.currency.isupper()):
            raise ValueError(f"not an ISO 4217 currency code: {self.currency!r}")

    @classmethod
    def zero(cls, currency):
        return cls(0, currency)

    @classmethod
    def from_major(cls, amount, currency):
        """Money from a major-unit amount given as int, str or Decimal (never float)."""
        if isinstance(amount, float):
            raise TypeError("floats are not money; pass a str or Decimal")
        value = Decimal(str(amount)) * (10 ** minor_digits(currency))
        if value != value.to_integral_value():
            raise ValueError(f"{amount} has more decimals than {currency} allows")
        return cls(int(value), currency)

    def _same(self, other):
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise ValueError(f"mixed currencies: {self.currency} and {other.currency}")
        return other

    def __add__(self, other):
        return Money(self.minor + self._same(other).minor, self.currency)

    def __sub__(self, other):
        return Money(self.minor - self._same(other).minor, self.currency)

    def __neg__(self):
        return Money(-self.minor, self.currency)

    def __lt__(self, other):
        return self.minor < self._same(other).minor

    def __le__(self, other):
        return self.minor <= self._same(other).minor

    def __gt__(self, other):
        return self.minor > self._same(other).minor

    def __ge__(self, other):
        return self.minor >= self._same(other).minor

    def __bool__(self):
        return self.minor != 0

    @property
    def major(self):
        """The amount as a Decimal in major units (for display and providers)."""
        return Decimal(self.minor).scaleb(-minor_digits(self.currency))

    def times(self, factor):
        """Multiply by an int or Decimal, rounding half-even to the minor unit."""
        if isinstance(factor, float):
            raise TypeError("floats are not money factors; use Decimal")
        value = (Decimal(self.minor) * Decimal(factor)).quantize(Decimal(1), ROUND_HALF_EVEN)
        return Money(int(value), self.currency)

    def split(self, parts):
        """Split into `parts` amounts that add up exactly; earlier parts take the remainder."""
        if parts <= 0:
            raise ValueError("parts must be positive")
        base, remainder = divmod(self.minor, parts)
        return [Money(base + (1 if i < remainder else 0), self.currency) for i in range(parts)]

    def __str__(self):
        return format_money(self, "en")


class AmountError(ValueError):
    """What a person typed is not an amount; `reason` is a stable code for the message."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


def parse_amount(text, currency, *, multiple_of=1):
    """Parse a typed amount into Money, or raise AmountError.

    Accepts digits with thousands separators (`,`, space, `'`, `_`) and at most one
    decimal point (`.`) with no more decimals than the currency has. A trailing
    comma-decimal (`1500,50`) is read as a decimal only where the part after the
    comma is not three digits. Refuses signs, letters, zero and absurd lengths, and
    (`not_whole_units`) an amount that is not a multiple of `multiple_of` minor units:
    what the currency's mobile-money operators can carry (app/operator_units.py), so
    `1500.50` KES is refused on the amount screen, before anything is confirmed.
    """
    raw = (text or "").strip()
    if not raw:
        raise AmountError("empty")
    for prefix in (currency, currency.lower()):
        if raw.startswith(prefix):
            raw = raw[len(prefix):].strip()
    if raw.startswith("-"):
        raise AmountError("negative")
    cleaned = raw.replace(" ", "").replace("'", "").replace("_", "").replace("\xa0", "")
    if "," in cleaned and "." not in cleaned:
        head, _, tail = cleaned.rpartition(",")
        if len(tail) != 3 and cleaned.count(",") == 1:
            cleaned = f"{head}.{tail}"
    cleaned = cleaned.replace(",", "")
    whole, dot, fraction = cleaned.partition(".")
    if not whole.isdigit() or not whole.isascii() or (dot and not (fraction.isdigit() and fraction.isascii())):
        raise AmountError("not_a_number")
    if len(whole) > MAX_TYPED_DIGITS:
        raise AmountError("too_large")
    digits = minor_digits(currency)
    if len(fraction) > digits:
        raise AmountError("too_many_decimals")
    try:
        value = Decimal(f"{whole}.{fraction or '0'}")
    except InvalidOperation as exc:  # pragma: no cover - guarded by the checks above
        raise AmountError("not_a_number") from exc
    minor = int(value.scaleb(digits))
    if minor <= 0:
        raise AmountError("zero")
    if minor % multiple_of:
        raise AmountError("not_whole_units")
    return Money(minor, currency)


def format_money(money, locale, *, decimals=None):
    """Format for a member: `KES 1,500.00` in en, GSM-7 safe for USSD and SMS.

    Whole amounts drop their zero decimals (`KES 1,500`) so screens stay short,
    unless `decimals=True` asks for them (statements, schedules).
    """
    digits = minor_digits(money.currency)
    show_decimals = decimals if decimals is not None else money.minor % (10**digits) != 0
    pattern = "¤¤\xa0#,##0" + ("." + "0" * digits if digits and show_decimals else "")
    text = format_currency(money.major, money.currency, format=pattern, locale=locale,
                           currency_digits=False, format_type="standard")
    return plain_spaces(text)
