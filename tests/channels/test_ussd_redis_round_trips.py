"""Round trips to Redis per USSD hop, counted as redis-py sends them (tests/redis_round_trip_helpers.py).

Each pipeline is one round trip. A hop reads what it needs at its start and
writes what it must at its end; a regression shows here as a new round trip.
"""

import pytest

from app.extensions import db
from tests.channels.test_ussd_round_trips import PIN, member
from tests.redis_round_trip_helpers import RedisRoundTrips
from tests.ussd_helpers import UssdPhone

pytestmark = pytest.mark.committed


def hop_trips(app, client):
    _services, amina = member(app)
    handset = UssdPhone(client, amina.phone)
    trips = RedisRoundTrips(app.extensions["redis"])
    logs = {}
    with trips.recording() as logs["dial"]:
        assert "Enter your PIN" in handset.dial()
    with trips.recording() as logs["pin"]:
        assert "1. Savings" in handset.send(PIN)
    with trips.recording() as logs["static"]:
        assert "My profile" in handset.send("5")
    with trips.recording() as logs["profile"]:
        assert "Name: Round Trip" in handset.send("1")
    db.session.remove()
    return logs


def test_round_trips_per_hop(app, client):
    logs = hop_trips(app, client)
    for hop, log in logs.items():
        print(hop, len(log), log)
    assert {hop: len(log) for hop, log in logs.items()} == {"dial": 2, "pin": 2, "static": 2, "profile": 2}


def test_the_hour_counts_expiry_goes_at_most_once_a_minute(app, client):
    """The hop's last round trip sends the hour's HINCRBY every hop, its EXPIRE once a minute per process."""
    logs = hop_trips(app, client)
    last_trips = [log[-1] for log in logs.values()]
    assert all(trip.count("HINCRBY") == 1 for trip in last_trips)
    assert sum(trip.count("EXPIRE") for trip in last_trips) <= 1
