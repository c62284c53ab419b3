"""Issue 13: the right operator for every number, by its network and not only its country."""

import pytest

from app.config import load_config
from app.payments.errors import NoProviderForNumber
from app.payments.networks import network_of, parse_prefixes
from app.payments.registry import Providers
from app.settings import Settings

SAFARICOM, AIRTEL_KE, TELKOM = "+254712345678", "+254733123456", "+254770123456"
MTN_UG, AIRTEL_UG = "+256772123456", "+256701234567"


def registry(providers, prefixes=""):
    return Providers({}, None, by_country=Settings.parse(load_config({"PAYMENT_PROVIDERS": providers}))
                     .PAYMENT_PROVIDERS, prefixes=parse_prefixes(prefixes))


def test_the_network_comes_from_the_carrier_data():
    assert [network_of(phone) for phone in (SAFARICOM, AIRTEL_KE, TELKOM, MTN_UG, AIRTEL_UG)] == [
        "safaricom", "airtel", "telkom", "mtn", "airtel"]
    assert network_of("not a number") is None


def test_a_kenyan_airtel_number_gets_airtel_money_not_an_mpesa_prompt():
    providers = registry("KE=mpesa,KE:airtel=airtel,UG=momo,UG:airtel=airtel")

    assert [providers.name_for(phone) for phone in (SAFARICOM, AIRTEL_KE, MTN_UG, AIRTEL_UG)] == [
        "mpesa", "airtel", "momo", "airtel"]


def test_without_a_provider_for_its_network_a_number_gets_none_rather_than_the_wrong_wallet():
    providers = registry("KE=mpesa,UG=momo")

    for phone in (AIRTEL_KE, TELKOM, AIRTEL_UG):
        with pytest.raises(NoProviderForNumber):
            providers.name_for(phone)
    assert providers.name_for(SAFARICOM) == "mpesa"


def test_the_plain_country_form_still_serves_every_network_of_a_provider_tied_to_none():
    providers = registry("KE=sandbox,UG=sandbox")

    assert {providers.name_for(phone) for phone in (SAFARICOM, AIRTEL_KE, TELKOM, AIRTEL_UG)} == {"sandbox"}


def test_configured_prefixes_correct_the_carrier_data_longest_first():
    providers = registry("KE=mpesa,KE:airtel=airtel", prefixes="KE:airtel=7123; KE:safaricom=73312")

    assert network_of(SAFARICOM, parse_prefixes("KE:airtel=7123")) == "airtel"
    assert providers.name_for(SAFARICOM) == "airtel"
    assert providers.name_for(AIRTEL_KE) == "mpesa"
    assert providers.name_for("+254712999999") == "mpesa"


@pytest.mark.parametrize("text", ["KE=73", "KE:airtel", "KEN:airtel=73", "KE:airtel=7a",
                                  "KE:airtel=73;KE:safaricom=73"])
def test_a_bad_prefix_setting_stops_start_up(text):
    with pytest.raises(Exception, match="PAYMENT_NETWORK_PREFIXES"):
        Settings.parse(load_config({"PAYMENT_NETWORK_PREFIXES": text}))
