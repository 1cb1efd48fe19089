"""Heinz's brand content: the video lessons of its « Tomato School » on its Facebook page.

One row per lesson: its theme, views, average watch time and fans the page gained.
"""

from __future__ import annotations

import pandas as pd

from generators.authoring.datasets import dataset, draw_rows
from generators.authoring.rng import Stream

THEMES = {
    "semis": 1.0,
    "rempotage": 0.8,
    "arrosage": 0.9,
    "maladies": 1.2,
    "récolte": 1.4,
    "recettes": 1.1,
}


@dataset("heinz_tomato_school")
def lessons(stream: Stream, params: dict, rows: int | tuple[int, int] = (24, 40)) -> pd.DataFrame:
    count = draw_rows(stream, rows)
    themes = list(THEMES)
    appeal = {theme: THEMES[theme] * stream.uniform(0.7, 1.3) for theme in themes}
    fan_rate = stream.uniform(0.002, 0.012)
    records = []
    for episode in range(1, count + 1):
        theme = themes[(episode - 1) % len(themes)] if episode <= len(themes) else stream.choice(themes)
        views = round(stream.uniform(15_000, 120_000) * appeal[theme])
        length = stream.integer(150, 540)
        watched = round(length * stream.uniform(0.3, 0.75))
        records.append(
            {
                "lecon": episode,
                "theme": theme,
                "vues": views,
                "duree_video_s": length,
                "duree_moyenne_vue_s": watched,
                "fans_gagnes": round(views * fan_rate * stream.uniform(0.7, 1.3)),
            }
        )
    return pd.DataFrame.from_records(records)
