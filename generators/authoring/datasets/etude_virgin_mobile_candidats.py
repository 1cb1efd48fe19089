"""Candidate ambassadors for Virgin Mobile, as a community team rates them (invented).

A documentary case study's annex: six pseudonymous internet users, their audience and
the team's marks out of 20 on three criteria of an influence score.
"""

from __future__ import annotations

import pandas as pd

from generators.authoring.datasets import dataset
from generators.authoring.rng import Stream

CANDIDATES = ("@ChloeTech", "@MaxLeGeek", "@LeaBonsPlans", "@TomMobile", "@SarahSeries", "@NicoVlog")


@dataset("etude_virgin_mobile_candidats")
def candidats(stream: Stream, params: dict) -> pd.DataFrame:
    """One row per candidate: followers, mean interactions per post, three marks out of 20."""
    records = []
    for name in CANDIDATES:
        followers = stream.integer(3, 180) * 1000
        rate = stream.uniform(0.8, 9.0)
        records.append(
            {
                "candidat": name,
                "abonnes": followers,
                "interactions_par_publication": int(round(followers * rate / 100)),
                "note_audience": stream.integer(6, 19),
                "note_engagement": stream.integer(6, 19),
                "note_proximite": stream.integer(6, 19),
            }
        )
    return pd.DataFrame.from_records(records)
