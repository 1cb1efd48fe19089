"""The book keeps each exercise's self-check widget between builds, and redoes it when the
exercise changes (a rebuild after editing a chapter's prose does not draw them again)."""

from __future__ import annotations

import json
import re
import shutil

from generators.authoring.catalogue import exercises_dir, load_exercise
from generators.book.selfcheck import decode_data, self_check_html
from generators.book.sphinx_ext import exercise_entry


def test_a_widget_is_drawn_once_then_reused_until_the_exercise_changes(tmp_path):
    folder = tmp_path / "kpi-roi-roas"
    shutil.copytree(exercises_dir() / "kpi-roi-roas", folder)
    cache = tmp_path / "cache"

    first = exercise_entry(folder, cache)
    assert first["html"] == self_check_html(load_exercise(folder))
    assert first["id"] == "kpi-roi-roas" and first["points"] == load_exercise(folder).points

    # what is stored is what the next build uses, without drawing anything again
    stored = cache / "kpi-roi-roas.json"
    entry = json.loads(stored.read_text("utf-8"))
    stored.write_text(json.dumps({**entry, "html": "<p>gardé</p>"}), "utf-8")
    assert exercise_entry(folder, cache)["html"] == "<p>gardé</p>"

    # an edited exercise is drawn again
    meta = folder / "exercise.yml"
    meta.write_text(meta.read_text("utf-8").replace('title: "', 'title: "Nouveau ', 1), "utf-8")
    again = exercise_entry(folder, cache)
    assert again["html"] == self_check_html(load_exercise(folder)) != "<p>gardé</p>"
    assert again["title"].startswith("Nouveau")


def test_a_case_study_on_data_has_a_widget_with_its_csv_files(tmp_path):
    entry = exercise_entry(exercises_dir() / "cas-fnac-faq", tmp_path)
    assert entry["id"] == "cas-fnac-faq" and 'data-exercise="cas-fnac-faq"' in entry["html"]
    packed = re.search(r'class="mq-data"[^>]*>([^<]*)</script>', entry["html"]).group(1)
    first = decode_data(packed)["variants"][0]
    assert first["files"][0]["name"] == "journal_version-1.csv"


def test_every_page_is_rewritten_once_when_the_book_code_changes(monkeypatch):
    """A new version of the product (its code, style sheets, scripts) rewrites every page
    once, so that no page keeps the old version's files; then the usual updates resume."""
    from types import SimpleNamespace

    from generators.book import sphinx_ext

    env = SimpleNamespace(found_docs={"book/index", "book/parcours-client", "book/crm-donnees"})
    edited = {"book/crm-donnees"}
    assert sphinx_ext._outdated_when_code_changed(None, env, set(), edited, set()) == [
        "book/index",
        "book/parcours-client",
    ]
    assert sphinx_ext._outdated_when_code_changed(None, env, set(), edited, set()) == []
    monkeypatch.setattr(sphinx_ext, "_book_code_digest", lambda: "une autre version")
    assert len(sphinx_ext._outdated_when_code_changed(None, env, set(), set(), set())) == 3
