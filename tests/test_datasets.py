"""Are case-study data sets reproducible, coherent, and handed to the student intact?"""

import pandas as pd
import pytest

from generators.authoring import datasets
from generators.authoring.catalogue import load_catalogue
from generators.authoring.render import given_code
from generators.authoring.rng import Stream, derive_key
from generators.authoring.variants import student_variant
from generators.errors import MercatiqueError

CASES = [ex for ex in load_catalogue().values() if any("dataset" in p for p in ex.parameters.values())]


@pytest.mark.parametrize("name", datasets.names())
def test_same_key_same_table(name):
    key = derive_key("secret", "devoir", "eleve001", name)
    a = datasets.build(name, Stream(key), {}, {})
    b = datasets.build(name, Stream(key), {}, {})
    pd.testing.assert_frame_equal(a, b)
    # a pandas case needs a table worth filtering; an étude's annex is a short table
    assert len(a) >= (3 if name.startswith("etude_") else 20)
    other = datasets.build(name, Stream(derive_key("secret", "devoir", "eleve002", name)), {}, {})
    assert not a.equals(other)


@pytest.mark.parametrize("exercise_id", [ex.id for ex in CASES])
def test_notebook_cell_rebuilds_the_exact_table(exercise_id):
    """The student computes on the very table the grader recomputes."""
    ex = load_catalogue()[exercise_id]
    variant = student_variant(ex, "secret", "devoir-1", "eleve007")
    namespace: dict = {}
    exec(given_code(variant), namespace)  # the code cell the student runs
    for name in ex.given:
        value = variant.params[name]
        if isinstance(value, pd.DataFrame):
            pd.testing.assert_frame_equal(namespace[name], value)
        else:
            assert namespace[name] == value


def test_air_france_messages_are_coherent():
    table = datasets.build("air_france_messages", Stream(b"k"), {}, {"rows": 500})
    assert (table.delai_minutes >= 2).all()
    assert table.langue.nunique() == 9
    means = table.groupby("canal").delai_minutes.mean()
    assert means["X (Twitter)"] < means["LinkedIn"]


def test_unknown_dataset_is_named():
    with pytest.raises(MercatiqueError, match="jeu de données inconnu"):
        datasets.build("inexistant", Stream(b"k"), {}, {})


def _table(name, seed="eleve001", **options):
    return datasets.build(name, Stream(derive_key("secret", "devoir", seed, name)), {}, options)


def _negative_share(hours):
    negative = hours.commentaires_negatifs.sum()
    return negative / (negative + hours.commentaires_positifs.sum())


@pytest.mark.parametrize("seed", ["eleve001", "eleve002", "eleve003"])
def test_fnac_bad_buzz_calms_down_once_the_brand_answers(seed):
    table = datasets.build("fnac_bad_buzz", Stream(derive_key("s", seed)), {"heure_reponse": 18}, {})
    assert list(table.heure) == list(range(72)) and set(table.jour) == {1, 2, 3}
    assert (table.partages >= 0).all()
    before, after = table[table.heure < 18], table[table.heure >= 18]
    assert _negative_share(before) > _negative_share(after)


def test_fnac_faq_cuts_daily_calls_and_has_periods_of_different_lengths():
    table = _table("fnac_faq")
    before, after = table[table.periode == "avant FAQ"], table[table.periode == "après FAQ"]
    assert 0.70 < after.appels.mean() / before.appels.mean() < 0.90
    assert (before.consultations_faq == 0).all() and (after.consultations_faq > 0).all()
    assert len(before) != len(after)


def test_oasis_posts_never_reach_more_people_than_the_page_has_fans():
    table = _table("oasis_publications")
    assert (table.interactions < table.portee).all() and (table.portee < table.fans).all()
    monthly = table.groupby("mois").fans.mean()
    assert monthly.is_monotonic_increasing and len(monthly) == 12


def test_heinz_viewers_never_watch_more_than_the_video():
    table = _table("heinz_tomato_school")
    assert (table.duree_moyenne_vue_s <= table.duree_video_s).all()
    assert table.theme.nunique() == 6 and (table.vues > 0).all()


def test_le_slip_francais_interactions_stay_below_reach():
    table = _table("slip_francais_instagram")
    interactions = table.likes + table.commentaires + table.partages + table.enregistrements
    assert (interactions < table.portee).all() and (table.clics_boutique < table.portee).all()
    assert set(table.format) <= {"photo", "carrousel", "reel"}


def test_virgin_mobile_has_26_distinct_influencers_and_about_4_8_million_impressions():
    table = _table("virgin_mobile_influenceurs")
    assert len(table) == 26 and table.influenceur.is_unique
    assert 4_400_000 < table.impressions.sum() < 5_200_000
    assert (table.souscriptions < table.interactions).all()


def test_hertz_scores_are_between_0_and_10_and_agencies_differ():
    table = _table("hertz_enquetes", rows=[2000, 2000])
    assert table.note.between(0, 10).all() and table.agence.nunique() == 6
    by_agency = table.groupby("agence").note
    nps = (by_agency.apply(lambda s: (s >= 9).mean()) - by_agency.apply(lambda s: (s <= 6).mean())) * 100
    assert nps.max() - nps.min() > 5
