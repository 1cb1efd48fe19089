"""Le Slip Français on Instagram: one row per post, with its format, reach, interactions and shop clicks."""

from __future__ import annotations

import pandas as pd

from generators.authoring.datasets import dataset, draw_rows
from generators.authoring.rng import Stream

# format: (weight, mean reach as a share of followers, mean engagement in % of reach)
FORMATS = {
    "photo": (40, 0.18, 3.5),
    "carrousel": (30, 0.22, 4.5),
    "reel": (30, 0.45, 5.5),
}
# a carousel shows several products, each one a link to the shop
CLICK_BOOST = {"carrousel": 1.3}
THEMES = ["coulisses de l'atelier", "nouveau produit", "photo de client", "humour", "collaboration"]


@dataset("slip_francais_instagram")
def posts(stream: Stream, params: dict, rows: int | tuple[int, int] = (60, 120)) -> pd.DataFrame:
    count = draw_rows(stream, rows)
    formats, weights = list(FORMATS), [w for w, _, _ in FORMATS.values()]
    followers = stream.uniform(200_000, 320_000)
    appeal = {name: stream.uniform(0.75, 1.3) for name in formats}
    click_rate = stream.uniform(0.002, 0.012)
    records = []
    for number in range(1, count + 1):
        post_format = stream.weighted(formats, weights)
        _, reach_share, engagement = FORMATS[post_format]
        reach = round(followers * reach_share * stream.uniform(0.5, 1.6))
        interactions = reach * engagement * appeal[post_format] * stream.uniform(0.6, 1.4) / 100
        likes = round(interactions * stream.uniform(0.75, 0.88))
        comments = round(interactions * stream.uniform(0.03, 0.08))
        rest = max(0, round(interactions) - likes - comments)
        shares = round(rest * 0.4)  # split without a new draw: earlier variants keep their numbers
        records.append(
            {
                "publication": number,
                "format": post_format,
                "theme": stream.choice(THEMES),
                "portee": reach,
                "likes": likes,
                "commentaires": comments,
                "partages": shares,
                "enregistrements": rest - shares,
                "clics_boutique": round(
                    reach * click_rate * stream.uniform(0.6, 1.4) * CLICK_BOOST.get(post_format, 1.0)
                ),
            }
        )
        followers *= 1 + stream.uniform(0.0, 0.002)
    return pd.DataFrame.from_records(records)
