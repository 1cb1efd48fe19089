"""Heinz's brand content: a video series that teaches how to grow tomatoes.

One row per episode: its theme, views, average watch time and subscribers gained.
"""

from __future__ import annotations

import pandas as pd

from ..rng import Stream
from . import dataset, draw_rows

THEMES = {
    "semis": 1.0,
    "rempotage": 0.8,
    "arrosage": 0.9,
    "maladies": 1.2,
    "récolte": 1.4,
    "recettes": 1.1,
}


@dataset("heinz_videos")
def episodes(stream: Stream, params: dict, rows: int | tuple[int, int] = (24, 40)) -> pd.DataFrame:
    count = draw_rows(stream, rows)
    themes = list(THEMES)
    appeal = {theme: THEMES[theme] * stream.uniform(0.7, 1.3) for theme in themes}
    subscribe_rate = stream.uniform(0.002, 0.012)
    records = []
    for episode in range(1, count + 1):
        theme = themes[(episode - 1) % len(themes)] if episode <= len(themes) else stream.choice(themes)
        views = round(stream.uniform(15_000, 120_000) * appeal[theme])
        length = stream.integer(150, 540)
        watched = round(length * stream.uniform(0.3, 0.75))
        records.append(
            {
                "episode": episode,
                "theme": theme,
                "vues": views,
                "duree_video_s": length,
                "duree_moyenne_vue_s": watched,
                "abonnes_gagnes": round(views * subscribe_rate * stream.uniform(0.7, 1.3)),
            }
        )
    return pd.DataFrame.from_records(records)
