"""Which provider serves which member, and the provider objects themselves.

`PAYMENT_PROVIDERS` maps the country of the member's phone to a provider name
(`KE=mpesa,UG=momo,GH=sandbox`). Provider objects are built on first use and kept
for this Services' lifetime. A provider is "resend safe" when the operator dedupes
requests by our reference (sandbox, MTN MoMo's X-Reference-Id), so a request whose
answer was lost may be sent again; M-Pesa Daraja is not, so it never is.
"""

from app.payments import errors
from app.phones import country_of

RESEND_SAFE = frozenset({"sandbox", "momo"})
"""Providers that recognise a repeated request by our reference."""


def _build(name, config, redis):
    if name == "sandbox":
        from app.payments.providers.sandbox import SandboxProvider

        return SandboxProvider(config, redis)
    if name == "mpesa":
        from app.payments.providers.mpesa import MpesaDaraja

        return MpesaDaraja(config, redis)
    if name == "momo":
        from app.payments.providers.momo import MtnMomo

        return MtnMomo(config, redis)
    raise errors.UnknownProvider(name)


class Providers:
    def __init__(self, config, redis, *, by_country):
        self.config = config
        self.redis = redis
        self.by_country = dict(by_country)
        """PAYMENT_PROVIDERS, parsed: {"KE": "mpesa", ...}."""
        self.instances = {}

    def install(self, provider):
        """Use `provider` (an object meeting PaymentProvider) under its `name`: tests' fakes."""
        self.instances[provider.name] = provider
        return provider

    def name_for(self, phone):
        """The provider name for an E.164 phone, or raise NoProviderForNumber."""
        name = self.by_country.get(country_of(phone) or "")
        if not name:
            raise errors.NoProviderForNumber(phone)
        return name

    def get(self, name):
        """The provider object called `name`, or raise UnknownProvider."""
        if name not in self.instances:
            self.instances[name] = _build(name, self.config, self.redis)
        return self.instances[name]

    def resend_safe(self, name):
        return getattr(self.get(name), "resend_safe", name in RESEND_SAFE)

    def check_available(self, name):
        """Raise ProviderUnavailable while the provider's circuit breaker is open."""
        breaker = getattr(self.get(name), "breaker", None)
        if breaker is not None and breaker.is_open():
            raise errors.ProviderUnavailable(name)


def providers_for(config, redis, *, by_country):
    """The provider registry of one Services (web request or job); `by_country` is PAYMENT_PROVIDERS."""
    return Providers(config, redis, by_country=by_country)
