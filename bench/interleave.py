"""Compare two or more sides in short alternating blocks, so a noisy machine hits every side alike.

On a shared machine the neighbours change from second to second: measuring side A for
10 s and then side B for 10 s compares A's neighbours with B's. Here every side stays
ready (servers up, connections open) and runs a short block in turn, the order reversed
each round (A B, B A, A B, ...), so drift within a round cancels. The figure is the ratio
of the sides' rates *within each round*; its median over the rounds is the result and
its spread (min-max) says how much to trust it. Latency percentiles pool every block of
a side over the same rounds.

A side is any callable `run_block(seconds) -> Block` (bench/closed_loop.py drives Python
callables; a subprocess such as pgbench fits too). Every benchmark that compares uses
`interleave` and the `print_*` helpers, so their figures mean the same thing.
"""

import math
import statistics
from dataclasses import dataclass, field


@dataclass
class Block:
    """One side's block: how many operations finished in how many seconds, and each one's latency."""

    operations: int
    seconds: float
    latencies: list = field(default_factory=list)
    """Seconds per operation."""
    errors: int = 0
    first_error: str = ""

    @property
    def rate(self):
        return self.operations / self.seconds if self.seconds > 0 else 0.0


def percentile(values, fraction):
    """Nearest-rank percentile of `values` (0 < fraction <= 1); 0.0 when empty."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


@dataclass
class Comparison:
    """Every measured block, by side name, one per round in round order."""

    blocks: dict
    block_seconds: float

    @property
    def names(self):
        return list(self.blocks)

    def rates(self, name):
        return [block.rate for block in self.blocks[name]]

    def ratios(self, numerator, denominator):
        """rate(numerator) / rate(denominator), per round."""
        return [a.rate / b.rate if b.rate else math.inf
                for a, b in zip(self.blocks[numerator], self.blocks[denominator], strict=True)]

    def latencies(self, name):
        return [latency for block in self.blocks[name] for latency in block.latencies]

    def errors(self, name):
        return sum(block.errors for block in self.blocks[name])

    def first_error(self, name):
        return next((block.first_error for block in self.blocks[name] if block.first_error), "")


def interleave(sides, *, rounds=5, block_seconds=2.0, warmup_seconds=None, log=print):
    """Run each side's block in turn, order reversed every round; return the Comparison.

    `sides` maps a name to `run_block(seconds) -> Block`. One warm-up block per side
    (default: one block long) runs first and is discarded.
    """
    names = list(sides)
    warmup = block_seconds if warmup_seconds is None else warmup_seconds
    if warmup > 0:
        for name in names:
            sides[name](warmup)
    blocks = {name: [] for name in names}
    for round_index in range(rounds):
        order = names if round_index % 2 == 0 else names[::-1]
        for name in order:
            blocks[name].append(sides[name](block_seconds))
        if log:
            log(f"  round {round_index + 1}/{rounds} ({' -> '.join(order)}): " + ", ".join(
                f"{name} {blocks[name][-1].rate:,.0f}/s" for name in names))
    return Comparison(blocks, block_seconds)


def spread_text(values, unit="x", digits=2):
    """`median 1.23x (min 1.20x, max 1.31x, spread 9%)`: the spread is (max - min) / median."""
    middle = statistics.median(values)
    spread = (max(values) - min(values)) / middle if middle else math.inf
    return (f"median {middle:.{digits}f}{unit} (min {min(values):.{digits}f}{unit}, "
            f"max {max(values):.{digits}f}{unit}, spread {spread:.0%})")


def print_ratio(comparison, numerator, denominator, label):
    """One line per-round ratios, one line median and spread."""
    ratios = comparison.ratios(numerator, denominator)
    print(f"{label} per round: " + "  ".join(f"{ratio:.2f}" for ratio in ratios))
    print(f"{label}: {spread_text(ratios)}")
    return ratios


def print_sides(comparison, unit="ops"):
    """Per side: median rate over the rounds, p50/p99 over the same rounds, operations, errors."""
    width = max(len(name) for name in comparison.names)
    for name in comparison.names:
        latencies = comparison.latencies(name)
        rates = comparison.rates(name)
        line = (f"  {name:{width}}  {statistics.median(rates):9,.0f} {unit}/s (rounds {min(rates):,.0f}-"
                f"{max(rates):,.0f})  p50 {percentile(latencies, 0.5) * 1000:7.2f} ms  "
                f"p99 {percentile(latencies, 0.99) * 1000:7.2f} ms  {len(latencies):,} {unit}  "
                f"errors {comparison.errors(name)}")
        print(line)
        if comparison.first_error(name):
            print(f"  {'':{width}}  first error: {comparison.first_error(name)[:200]}")
