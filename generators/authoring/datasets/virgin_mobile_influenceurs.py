"""Virgin Mobile's operation with 26 influencers (about 4.8 million impressions in all)."""

from __future__ import annotations

import pandas as pd

from generators.authoring.datasets import dataset
from generators.authoring.rng import Stream

NETWORKS = {"YouTube": 6, "Instagram": 10, "TikTok": 6, "X (Twitter)": 4}
FIRST = ["Léa", "Hugo", "Inès", "Yanis", "Chloé", "Malik", "Emma", "Théo", "Sarah", "Noé", "Jade", "Rayan"]
SUFFIX = ["_tech", "_mobile", "_vlog", "_daily", "_geek", "_style", "_live", "_lab"]


@dataset("virgin_mobile_influenceurs")
def influencers(stream: Stream, params: dict, rows: int = 26) -> pd.DataFrame:
    networks = list(NETWORKS)
    target = stream.uniform(4_500_000, 5_100_000)
    weights = [stream.uniform(0.3, 3.0) for _ in range(rows)]
    total = sum(weights)
    price_per_follower = stream.uniform(0.006, 0.03)
    conversion = {name: stream.uniform(0.4, 1.6) for name in networks}
    names: set[str] = set()
    records = []
    for weight in weights:
        name = f"{stream.choice(FIRST).lower()}{stream.choice(SUFFIX)}"
        while name in names:
            name += str(stream.integer(1, 9))
        names.add(name)
        network = stream.weighted(networks, list(NETWORKS.values()))
        impressions = round(target * weight / total)
        followers = round(impressions / stream.uniform(0.6, 1.8))
        records.append(
            {
                "influenceur": name,
                "reseau": network,
                "abonnes": followers,
                "impressions": impressions,
                "interactions": round(impressions * stream.uniform(0.02, 0.09)),
                "cout_euros": int(round(followers * price_per_follower * stream.uniform(0.7, 1.3), -1)) + 300,
                "souscriptions": round(impressions * stream.uniform(0.0003, 0.0012) * conversion[network]),
            }
        )
    return pd.DataFrame.from_records(records)
