"""Air France's social customer care over one weekday, slot by slot (invented figures).

A documentary case study shows the whole table as its annex: a few rows, with the
evening rush the course describes and fewer agents after office hours.
"""

from __future__ import annotations

import pandas as pd

from generators.authoring.datasets import dataset
from generators.authoring.rng import Stream

# slot: (hours, messages per hour relative to the day, agents on duty (low, high))
SLOTS = {
    "0 h - 7 h": (7, 0.25, (2, 3)),
    "7 h - 9 h": (2, 0.9, (4, 6)),
    "9 h - 12 h": (3, 1.1, (7, 9)),
    "12 h - 14 h": (2, 1.3, (6, 8)),
    "14 h - 18 h": (4, 1.0, (7, 9)),
    "18 h - 22 h": (4, 2.0, (4, 6)),
    "22 h - 24 h": (2, 0.9, (3, 4)),
}


@dataset("etude_air_france_tranches")
def tranches(stream: Stream, params: dict, total: tuple[int, int] = (450, 950)) -> pd.DataFrame:
    """One row per time slot: its length, the messages received, the agents on duty."""
    day = stream.integer(*total)
    weights = {slot: hours * rate * stream.uniform(0.85, 1.15) for slot, (hours, rate, _) in SLOTS.items()}
    scale = day / sum(weights.values())
    records = []
    for slot, (hours, _, (low, high)) in SLOTS.items():
        records.append(
            {
                "tranche": slot,
                "heures": hours,
                "messages": int(round(weights[slot] * scale)),
                "agents": stream.integer(low, high),
            }
        )
    return pd.DataFrame.from_records(records)
