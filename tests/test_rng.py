"""Do variants draw from a stream that depends on the key only?"""

from collections import Counter

from generators.authoring.rng import Stream, derive_key


def test_same_key_gives_same_draws():
    key = derive_key("secret", "devoir", "eleve001", "ex")
    a, b = Stream(key), Stream(key)
    assert [a.integer(1, 1000) for _ in range(2000)] == [b.integer(1, 1000) for _ in range(2000)]


def test_key_depends_on_every_part():
    base = derive_key("s", "a", "e", "x")
    others = [
        derive_key("s2", "a", "e", "x"),
        derive_key("s", "a2", "e", "x"),
        derive_key("s", "a", "e2", "x"),
    ]
    assert all(k != base for k in others)
    # parts are separated, so ("ab", "c") and ("a", "bc") differ
    assert derive_key("s", "ab", "c") != derive_key("s", "a", "bc")


def test_draws_cover_the_range_evenly():
    stream = Stream(b"k")
    counts = Counter(stream.integer(1, 6) for _ in range(60000))
    assert set(counts) == {1, 2, 3, 4, 5, 6}
    assert all(9000 < n < 11000 for n in counts.values())


def test_shuffle_is_a_permutation_and_varies():
    items = list("ABCDEFGH")
    orders = {tuple(Stream(bytes([i])).shuffled(items)) for i in range(50)}
    assert all(sorted(o) == items for o in orders)
    assert len(orders) > 40
