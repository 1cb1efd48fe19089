"""Fnac's customer service: calls per day before and after the dynamic FAQ went live.

The FAQ cut incoming calls by about 20 % in the course material; here each student's
cut is drawn between 12 and 28 %, and the two periods have different lengths so that
comparing totals instead of daily means is visibly wrong.
"""

from __future__ import annotations

import pandas as pd

from generators.authoring.datasets import dataset
from generators.authoring.rng import Stream

WEEKDAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]
# Mondays and Saturdays bring the most calls (deliveries of the weekend, shopping day)
WEEKDAY_FACTOR = [1.25, 1.05, 1.0, 0.95, 1.0, 1.15, 0.6]


@dataset("fnac_faq")
def daily_calls(
    stream: Stream, params: dict, days_before: int = 42, days_after: tuple[int, int] = (28, 49)
) -> pd.DataFrame:
    after = stream.integer(*days_after)
    base = stream.uniform(3200, 6500)
    cut = stream.uniform(0.12, 0.28)
    # each store network has its own week: the busiest day differs between students
    profile = [factor * stream.uniform(0.85, 1.15) for factor in WEEKDAY_FACTOR]
    names = ("jour", "jour_semaine", "periode", "appels", "consultations_faq")
    columns: dict[str, list] = {name: [] for name in names}
    for day in range(days_before + after):
        launched = day >= days_before
        level = base * (1 - cut) if launched else base
        calls = round(level * profile[day % 7] * stream.uniform(0.9, 1.1))
        visits = round(stream.uniform(9000, 15000) * profile[day % 7]) if launched else 0
        columns["jour"].append(day + 1)
        columns["jour_semaine"].append(WEEKDAYS[day % 7])
        columns["periode"].append("après FAQ" if launched else "avant FAQ")
        columns["appels"].append(calls)
        columns["consultations_faq"].append(visits)
    return pd.DataFrame(columns)  # column by column: cheaper than one dict per row
