"""A random stream that is a pure function of its key, on every machine and forever.

Python's `random` and NumPy do not promise the same numbers across versions, so
variants draw from SHAKE-256 of the key instead: same key, same numbers.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")
_SEP = "\x1f"


def derive_key(secret: str, *parts: str) -> bytes:
    """HMAC of the parts under the secret: unguessable without the secret."""
    return hmac.new(secret.encode(), _SEP.join(parts).encode(), hashlib.sha256).digest()


class Stream:
    """Deterministic uniform draws from a key (Fisher-Yates, modulo of 64-bit words)."""

    _BLOCK = 4096

    def __init__(self, key: bytes):
        self._key = key
        self._counter = 0
        self._buffer = b""
        self._pos = 0

    def _next_word(self) -> int:
        if self._pos + 8 > len(self._buffer):
            block = hashlib.shake_256(self._key + self._counter.to_bytes(8, "big"))
            self._buffer = block.digest(self._BLOCK)
            self._counter += 1
            self._pos = 0
        word = int.from_bytes(self._buffer[self._pos : self._pos + 8], "big")
        self._pos += 8
        return word

    def below(self, n: int) -> int:
        """An integer in [0, n); the modulo bias is below n / 2**64."""
        if n <= 0:
            raise ValueError("n must be positive")
        return self._next_word() % n

    def integer(self, low: int, high: int) -> int:
        """An integer in [low, high], both included."""
        return low + self.below(high - low + 1)

    def uniform(self, low: float, high: float) -> float:
        return low + (high - low) * (self._next_word() / 2**64)

    def normal(self, mean: float, sd: float) -> float:
        """Approximately normal (Irwin-Hall: 12 uniforms), with no libm call whose last
        digit could differ between machines."""
        return mean + sd * (sum(self._next_word() / 2**64 for _ in range(12)) - 6)

    def weighted(self, items: Sequence[T], weights: Sequence[int]) -> T:
        """An item drawn with integer weights (exact, no float rounding)."""
        pick = self.below(sum(weights))
        for item, weight in zip(items, weights, strict=True):
            if pick < weight:
                return item
            pick -= weight
        raise AssertionError("unreachable")

    def choice(self, items: Sequence[T]) -> T:
        return items[self.below(len(items))]

    def shuffled(self, items: Sequence[T]) -> list[T]:
        result = list(items)
        for i in range(len(result) - 1, 0, -1):
            j = self.below(i + 1)
            result[i], result[j] = result[j], result[i]
        return result
