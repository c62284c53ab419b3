"""The one check of the callbacks operators do not sign: Africa's Talking USSD and SMS, M-Pesa, MoMo.

Each operator calls the URL registered with it, `PUBLIC_URL + path + ?token=CALLBACK_TOKEN`:
a wrong or missing token (compared in constant time) is refused, and so is a source
outside CALLBACK_ALLOWED_IPS when that list is set. The source is `request.remote_addr`,
the real client once create_app's ProxyFix trusts TRUSTED_PROXIES load balancers.
No I/O here: each channel answers a refusal its own way and counts it.
"""

import hmac

from flask import current_app, request


def allowed_sources():
    """CALLBACK_ALLOWED_IPS (a tuple, app/settings.py); empty means any source."""
    return current_app.extensions["settings"].CALLBACK_ALLOWED_IPS


def authorized():
    """True when the request carries CALLBACK_TOKEN and comes from an allowed source."""
    expected = str(current_app.config.get("CALLBACK_TOKEN") or "")
    token = request.args.get("token", "")
    if not expected or not hmac.compare_digest(token.encode(), expected.encode()):
        return False
    allowed = allowed_sources()
    return not allowed or request.remote_addr in allowed
