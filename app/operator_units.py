"""The smallest amount each currency's mobile-money operators can carry: one rule for every channel.

Daraja (M-Pesa) takes whole shillings only (`Amount`, PROVIDERS.md), so in KES
everything a member sends or receives, and everything a loan asks them to pay, is a
multiple of 100 minor units. The rule is per currency, not per provider, because a
member's savings and loans are in one currency and leave through whichever operator
their number is on: a cent that arrives by one route (a transfer, a percentage fee)
could never leave by another. A currency not listed carries its own minor unit (1).

The setting OPERATOR_MINOR_UNITS ("KES=100,UGX=1", minor units) can correct the table
for a deployment; the ledger itself stays exact in minor units whatever it says.
"""

DEFAULT_OPERATOR_MINOR_UNITS = "KES=100,UGX=1,TZS=100,RWF=1"
"""Built-in table: M-Pesa/Airtel Kenya and Tanzania move whole shillings; UGX and RWF have no minor unit."""


def parse_operator_units(text):
    """`"KES=100,UGX=1"` -> {"KES": 100, "UGX": 1}; every unit a positive integer of minor units."""
    units = {}
    for item in (part.strip() for part in str(text).split(",")):
        if not item:
            continue
        currency, separator, unit = item.partition("=")
        currency = currency.strip().upper()
        if not separator or len(currency) != 3 or not currency.isalpha():
            raise ValueError(f"expected CUR=minor_units, not {item!r}")
        value = int(unit.strip())
        if value < 1:
            raise ValueError(f"{currency}: the unit must be at least 1 minor unit, got {value}")
        units[currency] = value
    return units


class OperatorUnits:
    """Per-currency units from the setting; `of(currency)` is what amounts must be multiples of."""

    def __init__(self, units=None):
        self.units = dict(parse_operator_units(DEFAULT_OPERATOR_MINOR_UNITS) if units is None else units)

    def of(self, currency):
        """The unit in minor units (1 where the operators carry every minor unit)."""
        return self.units.get(currency, 1)
