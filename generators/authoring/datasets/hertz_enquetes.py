"""Hertz's digital satisfaction survey: one row per answer, with the agency and the 0-10 score."""

from __future__ import annotations

import pandas as pd

from generators.authoring.datasets import dataset, draw_rows
from generators.authoring.rng import Stream

AGENCIES = [
    "Paris Gare de Lyon",
    "Lyon Part-Dieu",
    "Marseille Aéroport",
    "Nice Aéroport",
    "Bordeaux Gare",
    "Lille Europe",
]
SCORES = list(range(11))


@dataset("hertz_enquetes")
def answers(stream: Stream, params: dict, rows: int | tuple[int, int] = (200, 400)) -> pd.DataFrame:
    count = draw_rows(stream, rows)
    # each agency has its own mood: weights over scores 0..10
    moods = {}
    brand_mood = stream.uniform(0.5, 1.8)  # the whole network's service level this month
    for agency in AGENCIES:
        good = stream.uniform(0.8, 3.5) * brand_mood
        moods[agency] = [max(1, round(10 * (0.3 + good * (s / 10) ** 3))) for s in SCORES]
    records = []
    for number in range(1, count + 1):
        agency = stream.choice(AGENCIES)
        records.append(
            {
                "reponse": number,
                "agence": agency,
                "canal": stream.weighted(["e-mail", "SMS", "application"], [60, 25, 15]),
                "note": stream.weighted(SCORES, moods[agency]),
            }
        )
    return pd.DataFrame.from_records(records)
