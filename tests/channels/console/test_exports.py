"""Exports neutralise formulas: a cell a member typed never runs in a spreadsheet."""

import csv
import io

from openpyxl import load_workbook

from channels.console.exports import neutralise, to_csv, to_xlsx

ROWS = [("=HYPERLINK(\"http://x\")", -500, "+254700000001"), ("@SUM(A1)", 0, "-1+2"), ("Amina", 1500, "\tx")]


def test_text_starting_like_a_formula_gets_an_apostrophe_numbers_stay():
    assert [neutralise(value) for value in ROWS[0]] == ["'=HYPERLINK(\"http://x\")", -500, "'+254700000001"]
    assert neutralise("Amina") == "Amina" and neutralise(None) is None


def test_csv_and_xlsx_carry_the_neutralised_cells():
    rows = list(csv.reader(io.StringIO(to_csv(["name", "amount", "phone"], ROWS).decode("utf-8-sig"))))
    assert rows[1] == ["'=HYPERLINK(\"http://x\")", "-500", "'+254700000001"] and rows[2][0] == "'@SUM(A1)"
    sheet = load_workbook(io.BytesIO(to_xlsx("report", ["name", "amount", "phone"], ROWS))).active
    assert [cell.value for cell in sheet[2]] == ["'=HYPERLINK(\"http://x\")", -500, "'+254700000001"]
    assert sheet["A3"].data_type == "s" and sheet["B2"].data_type == "n"
