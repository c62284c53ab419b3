"""Clients of the mobile-money operators (M-Pesa Daraja, MTN MoMo), one module each.

Each client meets the `PaymentProvider` contract of `base.py`: it turns a
`PaymentRequest` into the operator's HTTP call and the operator's answers and
callbacks into an `Ack` or a `ProviderResult` with a stable reason code
(`reasons.py` words it for members). Clients hold no payment state: the payments
service owns records, idempotency and the ledger. What the clients share lives in
`base.py` (contract, errors, the Redis token cache refreshed by one process at a
time) and `circuit.py` (the per-provider circuit breaker and the one guarded HTTP
call, with timeouts and a single token refresh on 401).
"""
