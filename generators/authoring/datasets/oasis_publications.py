"""Oasis's Facebook page: one row per post over a year, with its type and reach.

Humorous posts featuring the fruit characters engage more than product or contest posts;
the page gains fans month after month.
"""

from __future__ import annotations

import pandas as pd

from generators.authoring.datasets import dataset, draw_rows
from generators.authoring.rng import Stream

# post type: (weight, mean engagement rate on reach in %)
POST_TYPES = {
    "humour (personnages)": (35, 6.5),
    "vidéo": (20, 4.5),
    "jeu-concours": (15, 8.0),
    "produit": (20, 2.2),
    "actualité de la marque": (10, 1.5),
}


@dataset("oasis_publications")
def posts(stream: Stream, params: dict, rows: int | tuple[int, int] = (90, 160)) -> pd.DataFrame:
    rows = draw_rows(stream, rows)
    types, weights = list(POST_TYPES), [w for w, _ in POST_TYPES.values()]
    fans = stream.uniform(2_600_000, 3_000_000)
    monthly_growth = stream.uniform(0.004, 0.015)
    # contests shine in some years, flop in others: the best type differs between students
    boost = {name: stream.uniform(0.7, 1.3) for name in types}
    records = []
    for number in range(rows):
        month = 1 + number * 12 // rows
        post_type = stream.weighted(types, weights)
        current_fans = round(fans * (1 + monthly_growth) ** (month - 1) * stream.uniform(0.999, 1.001))
        reach = round(current_fans * stream.uniform(0.04, 0.22))
        rate = POST_TYPES[post_type][1] * boost[post_type] * stream.uniform(0.6, 1.4)
        records.append(
            {
                "publication": number + 1,
                "mois": month,
                "type": post_type,
                "fans": current_fans,
                "portee": reach,
                "interactions": round(reach * rate / 100),
            }
        )
    return pd.DataFrame.from_records(records)
