"""The one check of the callbacks operators do not sign: Africa's Talking USSD and SMS, M-Pesa, MoMo, Airtel.

Each operator calls the URL registered with it, `PUBLIC_URL + path + ?token=<secret>`:
a wrong or missing token (compared in constant time) is refused, and so is a source
outside CALLBACK_ALLOWED_IPS when that list is set. The secret is CALLBACK_TOKEN, or an
operator's own (MPESA_CALLBACK_TOKEN, MOMO_CALLBACK_TOKEN, AIRTEL_CALLBACK_TOKEN) when set; each may hold two
comma-separated values, "current,previous", so a secret is rotated without losing the
callbacks of requests sent under the old one (app/payments/providers/base.callback_tokens).
The source is `request.remote_addr`, the real client once create_app's ProxyFix trusts
TRUSTED_PROXIES load balancers. No I/O here: each channel answers a refusal its own way
and counts it.
"""

import hmac

from flask import current_app, request

from app.payments.providers.base import callback_tokens


def allowed_sources():
    """CALLBACK_ALLOWED_IPS (a tuple, app/settings.py); empty means any source."""
    return current_app.extensions["settings"].CALLBACK_ALLOWED_IPS


def token_accepted(token, accepted):
    """True when `token` equals one of `accepted`; every candidate is compared, each in constant time."""
    matches = [hmac.compare_digest(token.encode(), expected.encode()) for expected in accepted]
    return any(matches)


def authorized(provider=None):
    """True when the request carries a secret of `provider` (None: CALLBACK_TOKEN's) from an allowed source."""
    if not token_accepted(request.args.get("token", ""), callback_tokens(current_app.config, provider)):
        return False
    allowed = allowed_sources()
    return not allowed or request.remote_addr in allowed
