"""Heinz's « Grow Your Own » campaign on Facebook, week by week (invented figures).

A documentary case study's annex: six weeks, the page's fans at the end of each week,
the families who signed up in the app that week, the photos of plants they shared and
the interactions with the Tomato School's advice posts.
"""

from __future__ import annotations

import pandas as pd

from generators.authoring.datasets import dataset
from generators.authoring.rng import Stream


@dataset("etude_heinz_semaines")
def semaines(stream: Stream, params: dict) -> pd.DataFrame:
    fans = stream.integer(180, 320) * 1000
    records = []
    for week in range(1, 7):
        fans += stream.integer(3, 18) * 1000
        signups = stream.integer(800, 4200)
        records.append(
            {
                "semaine": week,
                "fans_fin_de_semaine": fans,
                "familles_inscrites": signups,
                "photos_partagees": int(round(signups * stream.uniform(0.6, 2.4))),
                "interactions_conseils": int(round(fans * stream.uniform(0.8, 3.5) / 100)),
            }
        )
    return pd.DataFrame.from_records(records)
