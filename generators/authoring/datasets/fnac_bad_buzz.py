"""Fnac, 2013: a woman customer's Facebook post about an employee's behaviour, shared hour after hour.

One row per hour over three days. Shares grow, peak, then fade once the brand answers
(`params["heure_reponse"]`, default 20); negative comments dominate until the answer.
"""

from __future__ import annotations

import math

import pandas as pd

from generators.authoring.datasets import dataset
from generators.authoring.rng import Stream


@dataset("fnac_bad_buzz")
def hourly_shares(stream: Stream, params: dict, hours: int = 72) -> pd.DataFrame:
    answer_hour = int(params.get("heure_reponse", 20))
    peak = answer_hour - stream.integer(2, 6)
    height = stream.uniform(1300, 2000)
    records = []
    for hour in range(hours):
        # a rise to the peak, a slower decline, faster again once the brand has answered
        width = 5 if hour <= peak else (9 if hour < answer_hour else 6)
        wave = height * math.exp(-(((hour - peak) / width) ** 2))
        if hour >= answer_hour:
            wave *= 0.55
        night = 0.35 if hour % 24 in range(1, 7) else 1.0
        shares = max(0, round(wave * night * stream.uniform(0.8, 1.2)))
        comments = max(1, round(shares * stream.uniform(0.08, 0.16)))
        negative_share = stream.uniform(0.7, 0.9) if hour < answer_hour else stream.uniform(0.25, 0.5)
        negative = round(comments * negative_share)
        records.append(
            {
                "heure": hour,
                "jour": hour // 24 + 1,
                "partages": shares,
                "commentaires_negatifs": negative,
                "commentaires_positifs": comments - negative,
            }
        )
    return pd.DataFrame.from_records(records)
