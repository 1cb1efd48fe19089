"""Hertz's digital satisfaction survey over one quarter, agency by agency (invented).

A documentary case study's annex: five agencies, the e-mailed questionnaires, the
answers split into promoters, passives and detractors, the time spent at the counter
before and after the procedures changed.
"""

from __future__ import annotations

import pandas as pd

from generators.authoring.datasets import dataset
from generators.authoring.rng import Stream

AGENCIES = ("Paris Gare de Lyon", "Lyon Part-Dieu", "Marseille Aéroport", "Nice Aéroport", "Bordeaux Gare")


@dataset("etude_hertz_agences")
def agences(stream: Stream, params: dict) -> pd.DataFrame:
    records = []
    for agency in AGENCIES:
        sent = stream.integer(80, 300) * 10
        answers = int(round(sent * stream.uniform(22, 38) / 100))
        promoters = int(round(answers * stream.uniform(30, 65) / 100))
        detractors = int(round(answers * stream.uniform(8, 30) / 100))
        records.append(
            {
                "agence": agency,
                "questionnaires_envoyes": sent,
                "reponses": answers,
                "promoteurs": promoters,
                "passifs": answers - promoters - detractors,
                "detracteurs": detractors,
                "minutes_comptoir_avant": stream.integer(140, 220) / 10,
                "minutes_comptoir_apres": stream.integer(60, 120) / 10,
            }
        )
    return pd.DataFrame.from_records(records)
