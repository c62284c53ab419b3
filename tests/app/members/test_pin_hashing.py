"""Pepper ids and re-hashing (app/members/pin_hashing.py): rotate the pepper without a PIN reset."""

import pytest

from app.members.pin_hashing import ITERATIONS, PepperError, Peppers, check_pin, hash_pin, needs_rehash, pin_matches

OLD = Peppers.parse("old-secret", "1")
ROTATED = Peppers.parse("new-secret", "2", "1=old-secret")


def test_a_hash_names_the_pepper_that_made_it():
    assert hash_pin("4821", ROTATED).startswith(f"pbkdf2_sha256$2${ITERATIONS}$")
    assert len(hash_pin("4821", Peppers.parse("s", "abcd_-12"))) <= 128  # the pin_hash columns


def test_an_old_hash_verifies_after_rotation_and_asks_for_a_rehash():
    stored = hash_pin("4821", OLD)
    assert check_pin("4821", stored, ROTATED)
    assert not check_pin("4822", stored, ROTATED)
    assert needs_rehash(stored, ROTATED)
    assert not needs_rehash(hash_pin("4821", ROTATED), ROTATED)


def test_a_hash_whose_pepper_was_dropped_no_longer_verifies():
    stored = hash_pin("4821", OLD)
    assert not check_pin("4821", stored, Peppers.parse("new-secret", "2"))


def test_the_pepper_id_is_bound_not_just_a_label():
    stored = hash_pin("4821", OLD).replace("$1$", "$2$", 1)  # relabelled: checked under the new pepper
    assert not check_pin("4821", stored, ROTATED)


def test_the_pre_id_form_reads_as_the_current_pepper():
    legacy = hash_pin("4821", OLD).replace("pbkdf2_sha256$1$", "pbkdf2_sha256$", 1)
    assert check_pin("4821", legacy, OLD)
    assert needs_rehash(legacy, OLD)


def test_another_work_factor_asks_for_a_rehash():
    stored = hash_pin("4821", ROTATED, iterations=1000)
    assert pin_matches("4821", stored, ROTATED) and needs_rehash(stored, ROTATED)


def test_a_bare_secret_is_one_pepper_with_the_default_id():
    assert check_pin("4821", hash_pin("4821", "old-secret"), OLD)


@pytest.mark.parametrize("current_id, old", [("", ""), ("has$dollar", ""), ("1", "nonsense"), ("1", "2="),
                                             ("123456789", ""), ("1", "1=different")])
def test_malformed_pepper_settings_fail_loudly(current_id, old):
    with pytest.raises(PepperError):
        Peppers.parse("secret", current_id or "bad id", old)


def test_from_config_reads_the_three_settings():
    peppers = Peppers.from_config({"PIN_PEPPER": "n", "PIN_PEPPER_ID": "2", "PIN_OLD_PEPPERS": "1=o, 0=z"})
    assert peppers.current == "n" and peppers.secret("1") == "o" and peppers.secret("0") == "z"
