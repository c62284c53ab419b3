"""The velocity rules as pure functions: thresholds, windows, and keys that do not depend on the scan."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from app.alerts import rules
from app.alerts.rules import AgentTransaction, Change, Movement, Settings, bucket_key

T0 = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
LIMIT = 7_000_000  # KES 70,000 in cents
SETTINGS = Settings(structuring_count=3, structuring_margin_percent=10, structuring_window=timedelta(hours=24),
                    pass_through_percent=80, pass_through_window=timedelta(minutes=60),
                    change_window=timedelta(hours=48), agent_member_max_per_day=5)
NAIROBI = ZoneInfo("Africa/Nairobi")
_ids = iter(range(1, 10_000))


def out(hours, major, kind="withdrawal_reserve"):
    return Movement(next(_ids), 7, T0 + timedelta(hours=hours), kind, -major * 100, "KES")


def into(hours, major, kind="deposit"):
    return Movement(next(_ids), 7, T0 + timedelta(hours=hours), kind, major * 100, "KES")


def limit_of(currency):
    return LIMIT


def test_settings_come_from_configuration():
    from app.config import DEFAULTS
    from app.settings import Settings as AppSettings

    assert Settings.from_settings(AppSettings.parse(DEFAULTS)) == SETTINGS
    assert SETTINGS.lookback == timedelta(hours=48)


def test_bucket_keys_are_fixed_windows_aligned_to_the_epoch():
    assert bucket_key(T0 + timedelta(minutes=59), timedelta(hours=1)) == "2026-11-24T08:00:00+00:00"
    assert bucket_key(T0 + timedelta(hours=17), timedelta(hours=24)) == "2026-11-25T00:00:00+00:00"


def test_structuring_needs_three_movements_within_ten_percent_under_the_limit_in_a_day():
    history = [out(0, 63_000), out(2, 69_999, "transfer"), out(5, 65_000)]
    [hit] = rules.structuring(7, history, T0, limit_of, SETTINGS)
    assert (hit.rule, hit.subject_type, hit.subject_id) == ("structuring", "member", 7)
    assert [m["amount_minor"] for m in hit.evidence["movements"]] == [-6_300_000, -6_999_900, -6_500_000]
    assert hit.evidence["limit_minor"] == LIMIT and hit.evidence["threshold_count"] == 3
    assert rules.structuring(7, history[:2], T0, limit_of, SETTINGS) == []
    assert rules.structuring(7, [out(0, 62_999), *history[1:]], T0, limit_of, SETTINGS) == []  # below the band
    # history before the scan's start counts; only a movement in the scan completes the pattern
    assert rules.structuring(7, [out(-18, 63_000), out(2, 69_999), out(5, 65_000)], T0, limit_of, SETTINGS)
    assert rules.structuring(7, [out(-18, 63_000), out(-2, 69_999), out(-1, 65_000)], T0, limit_of, SETTINGS) == []
    spread = [out(0, 63_000), out(12, 64_000), out(25, 65_000)]  # never three in 24 hours
    assert rules.structuring(7, spread, T0, limit_of, SETTINGS) == []


def test_money_in_never_counts_as_structuring():
    history = [into(0, 65_000), into(1, 65_000), into(2, 65_000)]
    assert rules.structuring(7, history, T0, limit_of, SETTINGS) == []


def test_a_pattern_that_goes_on_raises_once_per_window_whatever_the_scan_start():
    history = [out(hours, 64_000) for hours in (0, 1, 2, 3, 4)]
    first = rules.structuring(7, history, T0, limit_of, SETTINGS)
    later = rules.structuring(7, history, T0 + timedelta(hours=3), limit_of, SETTINGS)
    assert len(first) == 1 and [hit.window_key for hit in later] == [first[0].window_key]


def test_pass_through_is_more_than_80_percent_of_money_in_out_within_the_hour():
    [hit] = rules.pass_through(7, [into(0, 10_000), out(0.5, 8_001, "transfer")], T0, SETTINGS)
    assert hit.evidence["in_minor"] == 1_000_000 and hit.evidence["out_minor"] == 800_100
    assert rules.pass_through(7, [into(0, 10_000), out(0.5, 8_000)], T0, SETTINGS) == []  # exactly 80 %
    assert rules.pass_through(7, [into(0, 10_000), out(1.5, 9_000)], T0, SETTINGS) == []  # after the hour
    assert rules.pass_through(7, [out(0.5, 9_000)], T0, SETTINGS) == []  # nothing came in
    two_steps = [into(0, 10_000), out(0.25, 5_000), out(0.5, 4_000)]
    [hit] = rules.pass_through(7, two_steps, T0, SETTINGS)
    assert hit.evidence["out_minor"] == 900_000


def test_change_then_money_out_within_48_hours_keys_by_the_change():
    change = Change(7, "pin", T0)
    [hit] = rules.change_then_money_out(7, [change], [out(30, 1_000)], T0, SETTINGS)
    assert hit.window_key == f"pin:{T0.isoformat()}" and hit.evidence["change"] == "pin"
    assert rules.change_then_money_out(7, [change], [out(49, 1_000)], T0, SETTINGS) == []
    assert rules.change_then_money_out(7, [change], [out(-1, 1_000)], T0 - timedelta(hours=2), SETTINGS) == []
    [phone] = rules.change_then_money_out(7, [Change(7, "phone", T0)], [out(1, 50)], T0, SETTINGS)
    assert phone.window_key.startswith("phone:")
    assert rules.change_then_money_out(7, [change], [into(1, 1_000)], T0, SETTINGS) == []


def test_agent_volume_is_more_than_n_transactions_for_one_member_in_a_local_day():
    def tx(hours, member_id=9):
        return AgentTransaction(next(_ids), 3, member_id, T0 + timedelta(hours=hours), "cash_deposit", 100_000, "KES")

    six = [tx(hours) for hours in range(6)]
    [hit] = rules.agent_member_volume(3, six, T0, NAIROBI, SETTINGS)
    assert (hit.subject_type, hit.subject_id, hit.window_key) == ("agent", 3, "2026-11-24:member:9")
    assert hit.evidence["count"] == 6
    assert rules.agent_member_volume(3, six[:5], T0, NAIROBI, SETTINGS) == []
    assert rules.agent_member_volume(3, six[:5] + [tx(1, member_id=10)], T0, NAIROBI, SETTINGS) == []
    # 08:00 UTC + 16 h is 03:00 the next day in Nairobi: another day
    assert rules.agent_member_volume(3, six[:5] + [tx(16)], T0, NAIROBI, SETTINGS) == []
