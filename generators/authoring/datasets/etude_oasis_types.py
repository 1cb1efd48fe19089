"""Oasis's Facebook page over one month, by type of post (invented figures).

The whole table is a documentary case study's annex: five rows, reach and
interactions summed over the month's posts of each type.
"""

from __future__ import annotations

import pandas as pd

from generators.authoring.datasets import dataset
from generators.authoring.rng import Stream

# type of post: (posts in the month (low, high), engagement on reach in % (low, high))
TYPES = {
    "saga des personnages": ((4, 8), (3.0, 7.5)),
    "parodie d'actualité": ((2, 5), (3.5, 8.0)),
    "jeu-concours": ((1, 3), (2.5, 7.0)),
    "question aux fans": ((2, 4), (1.5, 5.0)),
    "annonce de produit": ((2, 5), (0.5, 2.5)),
}


@dataset("etude_oasis_types")
def types(stream: Stream, params: dict) -> pd.DataFrame:
    """One row per type of post: posts, reach and interactions over the month."""
    records = []
    for kind, ((low, high), (rate_low, rate_high)) in TYPES.items():
        posts = stream.integer(low, high)
        reach = sum(stream.integer(120, 650) * 1000 for _ in range(posts))
        rate = stream.uniform(rate_low, rate_high)
        interactions = int(round(reach * rate / 100))
        records.append({"type": kind, "publications": posts, "portee": reach, "interactions": interactions})
    return pd.DataFrame.from_records(records)
