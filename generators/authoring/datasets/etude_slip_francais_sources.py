"""Le Slip Français's online shop over one month, by source of the visits (invented figures).

The whole table is a documentary case study's annex: five sources, the visits they
brought, the orders and the revenue excluding VAT (HT) of those visits.
"""

from __future__ import annotations

import pandas as pd

from generators.authoring.datasets import dataset
from generators.authoring.rng import Stream

# source: (visits (low, high), conversion on visits in % (low, high))
SOURCES = {
    "Instagram": ((8000, 20000), (1.5, 3.5)),
    "Twitter": ((2000, 6000), (0.8, 2.0)),
    "Facebook": ((3000, 8000), (1.0, 2.5)),
    "moteurs de recherche": ((10000, 25000), (2.0, 4.0)),
    "accès direct et lettre d'information": ((5000, 12000), (3.0, 6.0)),
}


@dataset("etude_slip_francais_sources")
def sources(stream: Stream, params: dict) -> pd.DataFrame:
    """One row per source: visits, orders, revenue HT in euros."""
    records = []
    for source, ((low, high), (rate_low, rate_high)) in SOURCES.items():
        visits = stream.integer(low, high)
        orders = max(1, int(round(visits * stream.uniform(rate_low, rate_high) / 100)))
        basket = stream.uniform(45, 75)
        records.append(
            {"source": source, "visites": visits, "commandes": orders, "ca_ht": int(round(orders * basket))}
        )
    return pd.DataFrame.from_records(records)
