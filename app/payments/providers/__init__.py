"""Clients of the mobile-money operators (M-Pesa Daraja, MTN MoMo, Airtel Money), one module each.

Each client meets the `PaymentProvider` contract of `base.py`: it turns a
`PaymentRequest` into the operator's HTTP call and the operator's answers and
callbacks into an `Ack` or a `ProviderResult` with a stable reason code
(`reasons.py` words it for members). Clients hold no payment state: the payments
service owns records, idempotency and the ledger. What the clients share lives in
`base.py` (contract, errors, the Redis token cache refreshed by one process at a
time) and `circuit.py` (the per-provider circuit breaker and the one guarded HTTP
call, with timeouts and a single token refresh on 401).
"""

from typing import NamedTuple


class ProviderInfo(NamedTuple):
    """What the rest of the service knows of a provider before building its client."""

    module: str
    """The module of its client class."""
    client: str
    """The client class's name."""
    label: str
    """How members know the operator (the {provider} of app/payments/providers/reasons.py)."""
    resend_safe: bool
    """The operator dedupes requests by our reference, so a request whose answer was lost may be sent again."""
    networks: frozenset = frozenset()
    """The mobile networks whose wallets it serves (app/payments/networks.py names them); empty: any network."""


PROVIDERS = {
    "sandbox": ProviderInfo("app.payments.providers.sandbox", "SandboxProvider", "sandbox", True),
    "mpesa": ProviderInfo("app.payments.providers.mpesa", "MpesaDaraja", "M-Pesa", False, frozenset({"safaricom"})),
    "momo": ProviderInfo("app.payments.providers.momo", "MtnMomo", "MTN MoMo", True, frozenset({"mtn"})),
    "airtel": ProviderInfo("app.payments.providers.airtel", "AirtelMoney", "Airtel Money", True,
                           frozenset({"airtel"})),
}
"""Every provider by the name PAYMENT_PROVIDERS, callback URLs and payment records use: the one list."""
