"""A case study's data set as files a spreadsheet opens: CSV (French Excel) and XLSX.

STMG and BTS students work with a spreadsheet, not Python: each student's own table is
written next to their notebook in the release, so it reaches that student only.
The CSV is what Excel and LibreOffice in French open with a double click: UTF-8 with a
BOM, `;` between fields, a decimal comma.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import xlsxwriter

from generators.authoring.variants import Variant

BOM = "\ufeff"
SEPARATOR = ";"
DECIMAL = ","


def tables(variant: Variant) -> dict[str, pd.DataFrame]:
    """The variant's data sets given to the student, by parameter name."""
    ex = variant.exercise
    return {name: variant.params[name] for name in ex.given if isinstance(variant.params[name], pd.DataFrame)}


def file_stem(exercise_id: str, table: str) -> str:
    """`<exercise>_<table>`: unique within an assignment, readable in a file list."""
    return f"{exercise_id}_{table}"


def csv_text(frame: pd.DataFrame) -> str:
    return BOM + frame.to_csv(sep=SEPARATOR, decimal=DECIMAL, index=False, lineterminator="\r\n")


def xlsx_bytes(frame: pd.DataFrame, sheet: str) -> bytes:
    """The table as an Excel workbook, written row by row with XlsxWriter: a workbook per
    student and case study, so pandas' openpyxl path (about 6 times slower) would weigh
    on `assign` for a whole class."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    worksheet = workbook.add_worksheet(sheet[:31])
    bold = workbook.add_format({"bold": True})
    worksheet.write_row(0, 0, [str(c) for c in frame.columns], bold)
    columns = [frame[name].tolist() for name in frame.columns]  # Python scalars, column by column
    for row, values in enumerate(zip(*columns, strict=True), start=1):
        worksheet.write_row(row, 0, [_cell(v) for v in values])
    for i, (name, values) in enumerate(zip(frame.columns, columns, strict=True)):  # wide enough to read
        width = max(len(str(name)), *(len(str(v)) for v in values[:50])) + 2
        worksheet.set_column(i, i, min(width, 60))
    workbook.close()
    return buffer.getvalue()


def _cell(value):
    """An empty cell for a missing value; numpy scalars as the Python numbers XlsxWriter
    writes as numbers (ints and strings, most cells, skip both checks)."""
    if isinstance(value, (int, str)):
        return value
    if pd.isna(value):
        return None
    return value.item() if hasattr(value, "item") else value


def data_files(variants: dict[str, Variant]) -> dict[str, str | bytes]:
    """File name → content (CSV text, XLSX bytes) of every table of these variants."""
    files: dict[str, str | bytes] = {}
    for ex_id, variant in variants.items():
        for name, frame in tables(variant).items():
            stem = file_stem(ex_id, name)
            files[f"{stem}.csv"] = csv_text(frame)
            files[f"{stem}.xlsx"] = xlsx_bytes(frame, name)
    return files


def spreadsheet_notice(variant: Variant) -> str:
    """The sentence under a case study's statement naming its files (empty without table)."""
    stems = [file_stem(variant.exercise.id, name) for name in tables(variant)]
    if not stems:
        return ""
    names = " ; ".join(f"`{s}.csv` / `{s}.xlsx`" for s in stems)
    return (
        f"Les données sont aussi dans {names}, à côté de ce notebook : vous pouvez répondre "
        "avec un tableur (Excel, LibreOffice Calc), puis reporter vos résultats dans les "
        "cellules de réponse."
    )


def read_csv(path: Path) -> pd.DataFrame:
    """A CSV written here, read back as a French spreadsheet would."""
    return pd.read_csv(path, sep=SEPARATOR, decimal=DECIMAL, encoding="utf-8-sig")
