"""The interleaving method every comparing benchmark uses (bench/interleave.py)."""

from bench.interleave import Block, interleave, percentile, spread_text


def test_blocks_alternate_with_the_order_reversed_each_round_after_one_warm_up_each():
    calls = []

    def side(name, rate):
        def run_block(seconds):
            calls.append((name, seconds))
            return Block(int(rate * seconds), seconds, [0.001] * int(rate * seconds))
        return run_block

    comparison = interleave({"a": side("a", 100), "b": side("b", 50)}, rounds=4, block_seconds=2.0,
                            warmup_seconds=0.5, log=None)

    assert calls == [("a", 0.5), ("b", 0.5), ("a", 2.0), ("b", 2.0), ("b", 2.0), ("a", 2.0),
                     ("a", 2.0), ("b", 2.0), ("b", 2.0), ("a", 2.0)]
    assert comparison.ratios("a", "b") == [2.0, 2.0, 2.0, 2.0]
    assert len(comparison.latencies("a")) == 4 * 200  # warm-up blocks are not kept


def test_ratios_are_taken_within_each_round():
    rates = iter([100, 50, 40, 80, 300, 150])  # the machine slows and speeds up; the ratio holds

    def run_block(seconds):
        return Block(next(rates), 1.0)

    comparison = interleave({"a": run_block, "b": run_block}, rounds=3, warmup_seconds=0, log=None)

    assert comparison.rates("a") == [100, 80, 300]  # round 2 ran b first
    assert comparison.ratios("a", "b") == [2.0, 2.0, 2.0]


def test_percentile_is_nearest_rank_and_spread_is_relative_to_the_median():
    values = [float(n) for n in range(1, 101)]

    assert percentile(values, 0.5) == 50.0
    assert percentile(values, 0.99) == 99.0
    assert percentile([], 0.99) == 0.0
    assert spread_text([1.0, 1.2, 1.1]) == "median 1.10x (min 1.00x, max 1.20x, spread 18%)"
