"""app/groups/splits.py: every split of group money adds up to the total, by one stated remainder rule."""

import random

import pytest

from app.groups.splits import split_by_weights
from app.money import Money


def kes(minor):
    return Money(minor, "KES")


def test_largest_remainders_get_the_units_left_and_the_earlier_part_wins_a_tie():
    # 100 shillings by 1:1:1 -> 33.33 each: the one shilling left goes to the first (a tie, earliest first)
    assert split_by_weights(kes(100_00), [1, 1, 1], unit=100) == [kes(34_00), kes(33_00), kes(33_00)]
    # 10 shillings by 500:300:200 is exact
    assert split_by_weights(kes(10_00), [500, 300, 200], unit=100) == [kes(5_00), kes(3_00), kes(2_00)]
    # 7 shillings by 3:3:1 is exact
    assert split_by_weights(kes(7_00), [3, 3, 1], unit=100) == [kes(3_00), kes(3_00), kes(1_00)]
    # 10 minor in units of 3: 3 units by 2:3:5 are 0.6, 0.9, 1.5 -> floors 0, 0, 1; the 2 units left go to
    # the largest remainders (0.9, then 0.6); the rest of 1 below a unit goes to the first part
    assert split_by_weights(kes(10), [2, 3, 5], unit=3) == [kes(4), kes(3), kes(3)]


def test_the_largest_remainder_not_the_first_part_takes_the_unit_left():
    # 10 shillings by 1:1:8 -> 1.0, 1.0, 8.0 exact; by 1:2:3 -> 1.67, 3.33, 5.0 -> the 1.67 part gets the unit
    assert split_by_weights(kes(10_00), [1, 2, 3], unit=100) == [kes(2_00), kes(3_00), kes(5_00)]


def test_parts_are_whole_operator_units_and_a_rest_below_one_unit_goes_to_the_first():
    parts = split_by_weights(kes(100_50), [1, 1], unit=100)
    assert parts == [kes(50_50), kes(50_00)]


def test_no_weight_at_all_splits_equally():
    assert split_by_weights(kes(5_00), [0, 0], unit=100) == [kes(3_00), kes(2_00)]
    assert split_by_weights(kes(0), [0, 3]) == [kes(0), kes(0)]


@pytest.mark.parametrize("seed", range(20))
def test_random_splits_add_up_and_stay_within_one_unit_of_the_exact_proportion(seed):
    chance = random.Random(seed)
    unit = chance.choice([1, 100])
    weights = [chance.randint(0, 10_000) for _ in range(chance.randint(1, 30))]
    total = kes(chance.randint(0, 10_000_000))
    parts = split_by_weights(total, weights, unit=unit)
    assert sum(part.minor for part in parts) == total.minor
    assert all(part.minor % unit == 0 for part in parts[1:])
    whole = sum(weights) or len(weights)
    for part, weight in zip(parts[1:], weights[1:], strict=True):
        exact = (total.minor // unit) * (weight if sum(weights) else 1) / whole
        assert abs(part.minor / unit - exact) < 1


@pytest.mark.parametrize("total, weights, unit", [(kes(-1), [1], 1), (kes(1), [], 1), (kes(1), [-1, 2], 1),
                                                  (kes(1), [1], 0)])
def test_impossible_splits_are_refused(total, weights, unit):
    with pytest.raises(ValueError):
        split_by_weights(total, weights, unit=unit)
