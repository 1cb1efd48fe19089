"""Air France's social customer care: one row per message received in a week."""

from __future__ import annotations

import pandas as pd

from generators.authoring.datasets import dataset, draw_rows
from generators.authoring.rng import Stream

# channel: (weight in the traffic, mean response time in minutes)
CHANNELS = {
    "Facebook": (34, 48),
    "X (Twitter)": (26, 32),
    "Messenger": (14, 55),
    "Instagram": (10, 70),
    "WhatsApp": (8, 40),
    "LinkedIn": (3, 180),
    "YouTube": (2, 240),
    "TikTok": (3, 150),
}
LANGUAGES = {
    "français": 38,
    "anglais": 27,
    "espagnol": 8,
    "italien": 6,
    "allemand": 6,
    "portugais": 5,
    "japonais": 4,
    "chinois": 3,
    "néerlandais": 3,
}


@dataset("air_france_messages")
def messages(stream: Stream, params: dict, rows: int | list[int] = 160) -> pd.DataFrame:
    rows = draw_rows(stream, rows)
    channels, weights = list(CHANNELS), [w for w, _ in CHANNELS.values()]
    languages, language_weights = list(LANGUAGES), list(LANGUAGES.values())
    records = []
    for number in range(1, rows + 1):
        channel = stream.weighted(channels, weights)
        mean = CHANNELS[channel][1] * stream.uniform(0.7, 1.3)
        delay = max(2, round(stream.normal(mean, mean / 3)))
        records.append(
            {
                "message": number,
                "canal": channel,
                "langue": stream.weighted(languages, language_weights),
                "delai_minutes": delay,
            }
        )
    return pd.DataFrame.from_records(records)
