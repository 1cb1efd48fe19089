"""Case studies on data, practised in the book's page: the version's table, its CSV to
download, answers checked like the other exercises, and a pandas solution that runs on
that CSV. Chromium from file://, every other request aborted."""

from __future__ import annotations

import re
import subprocess
import sys

import pandas as pd
import pytest

from generators.authoring.catalogue import load_catalogue
from generators.authoring.variants import preview_variant
from generators.book.selfcheck import CASE_SEEDS, decode_data
from generators.outputs import spreadsheets
from tests.browser import book_loaded

pytestmark = pytest.mark.slow
CASE = "cas-fnac-faq"


def open_page(chromium, path, width=1280):
    context = chromium.new_context(viewport={"width": width, "height": 900}, accept_downloads=True)
    outside: list[str] = []
    errors: list[str] = []

    def block(route):
        outside.append(route.request.url)
        route.abort()

    context.route(re.compile(r"^(?!file:|data:|blob:|about:).*"), block)
    page = context.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri(), wait_until="load")
    book_loaded(page)
    return context, page, outside, errors


def shown_variant(widget):
    """The catalogue's variant behind the version the widget shows (its seed is the version)."""
    index = widget.evaluate("host => host.mercatique.index")
    return index, preview_variant(load_catalogue()[CASE], CASE_SEEDS[index])


def test_a_case_study_is_answered_in_the_page_with_its_own_table(book_html, chromium):
    context, page, outside, errors = open_page(chromium, book_html / "book" / "etudes-de-cas.html")
    widget = page.locator(f'.mq-selfcheck[data-exercise="{CASE}"]')
    widget.scroll_into_view_if_needed()
    index, variant = shown_variant(widget)
    journal = spreadsheets.tables(variant)["journal"]
    statement = widget.locator(".mq-statement").inner_text()
    first = journal.iloc[0]
    assert str(first["jour_semaine"]) in statement and f"{int(first['appels'])}" in statement.replace(
        "\u202f", ""
    )
    assert f"{len(journal)} jours" in statement.replace("\u00a0", " ")
    # the mean before the FAQ, typed the French way
    right = f"{variant.answers['moyenne_avant']:.1f}".replace(".", ",")
    widget.locator("input.mq-input").first.fill(right)
    widget.locator("button.mq-check").click()
    assert "Bonne réponse" in widget.locator(".mq-feedback").first.inner_text()
    # no teacher identifier anywhere a student reads
    text = page.locator("body").inner_text()
    assert not re.search(r"\bcas-[a-z]", text) and "Identifiant pour l" not in text
    assert outside == [] and errors == []
    context.close()


def test_the_downloaded_csv_is_the_versions_table_and_the_pandas_solution_runs_on_it(
    book_html, chromium, tmp_path
):
    context, page, _, _ = open_page(chromium, book_html / "book" / "etudes-de-cas.html")
    widget = page.locator(f'.mq-selfcheck[data-exercise="{CASE}"]')
    widget.scroll_into_view_if_needed()
    widget.locator("button.mq-next").click()  # another version: the files follow it
    index, variant = shown_variant(widget)
    with page.expect_download() as info:
        widget.locator("a.mq-download").first.click()
    download = info.value
    assert download.suggested_filename == f"journal_version-{index + 1}.csv"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert saved.read_bytes().startswith("\ufeff".encode())  # French Excel opens it as UTF-8
    got = pd.read_csv(saved, sep=";", decimal=",", encoding="utf-8-sig")
    pd.testing.assert_frame_equal(got, spreadsheets.tables(variant)["journal"], check_dtype=False)

    widget.locator("button.mq-reveal").click()
    code = widget.locator(".mq-solution pre").last.inner_text()
    assert "pd.read_csv" in code and download.suggested_filename in code
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    printed = [float(n) for n in re.findall(r"Question \d : (-?[\d.]+)", run.stdout)]
    ex = variant.exercise
    expected = [variant.answers[q.id] for q in ex.questions if q.kind == "number"]
    assert printed == pytest.approx(expected, abs=0.051)
    context.close()


def test_every_case_study_of_the_catalogue_has_a_widget_with_files(book_html):
    """Every exercise on data is in a chapter page with its CSV files (none left to a notebook)."""
    widget = re.compile(r'data-exercise="([^"]+)"><script[^>]*class="mq-data"[^>]*>([^<]*)</script>')
    widgets = {}
    for page in (book_html / "book").glob("*.html"):
        for ex_id, packed in widget.findall(page.read_text("utf-8")):
            widgets[ex_id] = decode_data(packed)
    on_data = [
        ex.id for ex in load_catalogue().values() if any("dataset" in s for s in ex.parameters.values())
    ]
    assert on_data
    for ex_id in on_data:
        assert all(v["files"] and v["files"][0]["csv"] for v in widgets[ex_id]["variants"]), ex_id


def test_exercise_titles_are_headings(book_html, chromium):
    context, page, _, _ = open_page(chromium, book_html / "book" / "mesure-efficacite.html")
    headings = page.locator("h3.mq-exercise-title")
    widgets = page.locator(".mq-selfcheck")
    assert headings.count() == widgets.count() > 0
    assert "pts" in headings.first.inner_text()
    context.close()


def test_a_case_study_fits_a_phone_and_shows_its_files(book_html, chromium):
    context, page, _, _ = open_page(chromium, book_html / "book" / "etudes-de-cas.html", width=360)
    widget = page.locator(f'.mq-selfcheck[data-exercise="{CASE}"]')
    widget.scroll_into_view_if_needed()
    assert widget.locator("a.mq-download").first.is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    context.close()
