"""Segments of a retailer's customer base for a targeted mailing (invented figures).

A documentary case study's annex: four segments, their size, the response rate the
marketing team expects and the mean basket excluding VAT (HT).
"""

from __future__ import annotations

import pandas as pd

from generators.authoring.datasets import dataset
from generators.authoring.rng import Stream

# segment: (customers in thousands (low, high), expected response in % (low, high), basket HT (low, high))
SEGMENTS = {
    "clients magasin et internet": ((40, 90), (6.0, 12.0), (70, 110)),
    "clients magasin seulement": ((80, 160), (2.5, 6.0), (55, 90)),
    "clients internet seulement": ((60, 120), (3.0, 7.0), (45, 80)),
    "clients inactifs depuis 12 mois": ((90, 200), (0.4, 1.5), (40, 70)),
}


@dataset("etude_fnac_segments")
def segments(stream: Stream, params: dict) -> pd.DataFrame:
    records = []
    for segment, ((low, high), (r_low, r_high), (b_low, b_high)) in SEGMENTS.items():
        records.append(
            {
                "segment": segment,
                "clients": stream.integer(low, high) * 1000,
                "taux_de_reponse_prevu": stream.integer(int(r_low * 10), int(r_high * 10)) / 10,
                "panier_moyen_ht": stream.integer(b_low, b_high),
            }
        )
    return pd.DataFrame.from_records(records)
