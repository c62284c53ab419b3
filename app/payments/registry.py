"""Which provider serves which member, and the provider objects themselves.

`PAYMENT_PROVIDERS` maps the country of the member's phone to a provider name
(`KE=mpesa,UG=momo,GH=sandbox`). Provider objects are built on first use and kept
for this Services' lifetime. A provider is "resend safe" when the operator dedupes
requests by our reference (sandbox, MTN MoMo's X-Reference-Id), so a request whose
answer was lost may be sent again; M-Pesa Daraja is not, so it never is. Which
providers exist, and which are resend safe, is app/payments/providers/__init__.py's PROVIDERS.
"""

from importlib import import_module

from app.payments import errors
from app.payments.networks import network_of
from app.payments.providers import PROVIDERS
from app.phones import country_of


def _build(name, config, redis):
    info = PROVIDERS.get(name)
    if info is None:
        raise errors.UnknownProvider(name)
    return getattr(import_module(info.module), info.client)(config, redis)


class Providers:
    def __init__(self, config, redis, *, by_country, prefixes=None):
        self.config = config
        self.redis = redis
        self.by_country = dict(by_country)
        """PAYMENT_PROVIDERS, parsed: {"KE": "mpesa", "KE:airtel": "airtel", ...}."""
        self.prefixes = prefixes or {}
        """PAYMENT_NETWORK_PREFIXES, parsed: {"KE": {"73": "airtel", ...}}."""
        self.instances = {}

    def install(self, provider):
        """Use `provider` (an object meeting PaymentProvider) under its `name`: tests' fakes."""
        self.instances[provider.name] = provider
        return provider

    def name_for(self, phone, network=None):
        """The provider name for an E.164 phone (by its network, then its country), or raise NoProviderForNumber.

        `network` is the member's word for it (their mobile-money number's network,
        app/members/momo_numbers.py); None reads it from the number.
        """
        country = country_of(phone) or ""
        network = network or network_of(phone, self.prefixes)
        name = (network and self.by_country.get(f"{country}:{network}")) or self.by_country.get(country)
        info = PROVIDERS.get(name)
        if not name or (network and info is not None and info.networks and network not in info.networks):
            raise errors.NoProviderForNumber(phone)
        return name

    def networks_in(self, phone):
        """The networks whose wallets can be reached in the phone's country (a member's choice of network)."""
        country = country_of(phone) or ""
        named = {key.partition(":")[2] for key in self.by_country if key.startswith(f"{country}:")}
        info = PROVIDERS.get(self.by_country.get(country))
        return sorted(named | set(info.networks if info is not None else ()))

    def get(self, name):
        """The provider object called `name`, or raise UnknownProvider."""
        if name not in self.instances:
            self.instances[name] = _build(name, self.config, self.redis)
        return self.instances[name]

    def resend_safe(self, name):
        info = PROVIDERS.get(name)
        return getattr(self.get(name), "resend_safe", info is not None and info.resend_safe)

    def check_available(self, name):
        """Raise ProviderUnavailable while the provider's circuit breaker is open."""
        breaker = getattr(self.get(name), "breaker", None)
        if breaker is not None and breaker.is_open():
            raise errors.ProviderUnavailable(name)


def providers_for(config, redis, *, by_country, prefixes=None):
    """The provider registry of one Services (web request or job); `by_country` is PAYMENT_PROVIDERS,
    `prefixes` PAYMENT_NETWORK_PREFIXES."""
    return Providers(config, redis, by_country=by_country, prefixes=prefixes)
