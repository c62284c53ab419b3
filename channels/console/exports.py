"""CSV and XLSX files of a report: one header row and rows of plain values, formulas neutralised.

A name a member typed can start with `=`, `+`, `-` or `@`; a spreadsheet opening the
export would run it as a formula (CSV injection). Every text cell starting so gets a
leading `'`, which spreadsheets show as text. Numbers stay numbers (a negative
amount is an int, not text, so it is not touched).
"""

import csv
import io

from openpyxl import Workbook

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """The cell as it is safe to write: text starting like a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def to_csv(header, rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow([neutralise(value) for value in row])
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(title, header, rows):
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title[:31]
    sheet.append(list(header))
    for row in rows:
        sheet.append([neutralise(value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
