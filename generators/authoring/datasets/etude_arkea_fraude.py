"""Card fraud at a bank over six months, before and after a big-data tool (invented).

A documentary case study's annex: one row per month, the card payments of the bank's
customers, the fraudulent ones and the amount stolen.
"""

from __future__ import annotations

import pandas as pd

from generators.authoring.datasets import dataset
from generators.authoring.rng import Stream

MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin")


@dataset("etude_arkea_fraude")
def fraude(stream: Stream, params: dict) -> pd.DataFrame:
    before = stream.uniform(4.0, 8.0)  # fraudulent payments per 10,000
    after = before * stream.uniform(0.35, 0.75)
    records = []
    for number, month in enumerate(MONTHS):
        payments = stream.integer(1800, 2600) * 1000
        rate = (before if number < 3 else after) * stream.uniform(0.9, 1.1)
        frauds = int(round(payments * rate / 10000))
        records.append(
            {
                "mois": month,
                "periode": "avant l'outil" if number < 3 else "après l'outil",
                "paiements_par_carte": payments,
                "paiements_frauduleux": frauds,
                "montant_fraude_euros": int(round(frauds * stream.uniform(60, 110))),
            }
        )
    return pd.DataFrame.from_records(records)
