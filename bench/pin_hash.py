"""How long one PIN verification costs (target: under 5 ms so hops stay fast).

    .venv/bin/python bench/pin_hash.py
"""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.members.pin_hashing import ITERATIONS, check_pin, hash_pin  # noqa: E402


def main(rounds=500):
    stored = hash_pin("4821", "bench-pepper")
    started = time.perf_counter()
    for _ in range(rounds):
        assert check_pin("4821", stored, "bench-pepper")
    per_check = (time.perf_counter() - started) / rounds * 1000
    print(f"PIN verify: {per_check:.3f} ms per check ({ITERATIONS} PBKDF2-SHA256 rounds, peppered HMAC)")


if __name__ == "__main__":
    main()
