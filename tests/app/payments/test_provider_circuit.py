"""The per-provider circuit breaker on the run's Redis db, driven through the guarded HTTP call."""

from datetime import UTC, datetime

import pytest
import responses

from app.payments.providers.base import ProviderRejected, TransientProviderError
from app.payments.providers.circuit import CircuitBreaker, CircuitOpen, ProviderHttp
from tests.clock_helpers import fixed_clock

URL = "https://operator.test/ping"


clock = fixed_clock(datetime(2024, 5, 1, 9, 0, tzinfo=UTC))


@pytest.fixture
def breaker(redis, clock):
    return CircuitBreaker(redis, "mpesa", threshold=5, cooldown=60, clock=clock)


@pytest.fixture
def fake():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def handle(response):
    if response.status_code >= 500:
        raise TransientProviderError("5xx")
    if response.status_code >= 400:
        raise ProviderRejected("rejected")
    return response.json()


def fail_times(http, n):
    for _ in range(n):
        with pytest.raises(TransientProviderError):
            http.send("GET", URL, handle)


def test_opens_after_five_consecutive_transient_failures_and_stops_calling(fake, breaker):
    fake.get(URL, status=503)
    http = ProviderHttp(breaker)

    fail_times(http, 4)
    assert not breaker.is_open()
    fail_times(http, 1)
    assert breaker.is_open()

    with pytest.raises(CircuitOpen) as raised:
        http.send("GET", URL, handle)
    assert raised.value.reason == "unavailable"
    assert len(fake.calls) == 5


def test_a_success_or_a_rejection_resets_the_count(fake, breaker):
    fake.get(URL, status=503)
    http = ProviderHttp(breaker)
    fail_times(http, 4)

    fake.replace(responses.GET, URL, status=400)
    with pytest.raises(ProviderRejected):
        http.send("GET", URL, handle)
    fake.replace(responses.GET, URL, status=503)
    fail_times(http, 4)

    assert not breaker.is_open()


def test_half_open_lets_one_trial_through_and_its_success_closes(fake, breaker, clock):
    fake.get(URL, status=503)
    http = ProviderHttp(breaker)
    fail_times(http, 5)

    clock.advance(seconds=59)
    with pytest.raises(CircuitOpen):
        http.send("GET", URL, handle)

    clock.advance(seconds=1)
    breaker.before_call()  # another process took the trial ...
    with pytest.raises(CircuitOpen):
        breaker.before_call()  # ... so this one is refused while it is in flight
    breaker.record_success()

    fake.replace(responses.GET, URL, json={"ok": True})
    assert http.send("GET", URL, handle) == {"ok": True}
    assert not breaker.is_open()
    assert len(fake.calls) == 6


def test_a_failed_trial_opens_the_circuit_for_another_cooldown(fake, breaker, clock):
    fake.get(URL, status=503)
    http = ProviderHttp(breaker)
    fail_times(http, 5)

    clock.advance(seconds=60)
    fail_times(http, 1)  # the trial
    assert breaker.is_open()

    clock.advance(seconds=30)
    with pytest.raises(CircuitOpen):
        http.send("GET", URL, handle)
    clock.advance(seconds=30)
    fake.replace(responses.GET, URL, json={"ok": True})
    assert http.send("GET", URL, handle) == {"ok": True}
    assert len(fake.calls) == 7


def test_a_trial_whose_process_died_is_given_up_after_a_cooldown(breaker, clock):
    for _ in range(5):
        breaker.record_failure()
    clock.advance(seconds=60)
    breaker.before_call()  # trial taken, never reported

    clock.advance(seconds=30)
    with pytest.raises(CircuitOpen):
        breaker.before_call()
    clock.advance(seconds=30)
    breaker.before_call()  # a new trial


def test_circuits_are_per_provider(redis, clock, breaker):
    for _ in range(5):
        breaker.record_failure()
    other = CircuitBreaker(redis, "momo", clock=clock)

    with pytest.raises(CircuitOpen):
        breaker.before_call()
    other.before_call()
