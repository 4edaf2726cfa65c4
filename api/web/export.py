"""The lists' `.xlsx` exports: headers and values in the page's language (Chinese by default). Rows are read in
keyset chunks (api/web/listquery.chunks) and appended to an openpyxl write-only workbook, which keeps its rows in
a temporary file, not in memory; the finished file is served from disk and removed once sent. One export per
process is built at a time (the CSV export's limiter), in a worker thread. 100,000 rows take about 16 s and a flat
4 MB of Python memory on the development machine (openpyxl's pure-Python XML writer)."""
import os
import tempfile
import time
from collections.abc import Callable, Iterable
from datetime import date

import anyio
from fastapi import Request
from fastapi.responses import FileResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from starlette.background import BackgroundTask

from api.region_names import region_name
from api.supervision.export import FORMULA_START, YIELD_EVERY, _limiter
from points import Policy
from points.dates import china_date
from points.errors import RuleViolation

CHUNK = 2000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _cell(sheet, value):
    """Text a spreadsheet would run as a formula stays text."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value


def write_xlsx(path: str, title: str, header: list[str], chunks: Iterable[list], to_cells: Callable) -> int:
    """Writes the workbook to `path`; returns the number of data rows."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title)
    sheet.freeze_panes = "A2"
    sheet.append(header)
    rows = 0
    for chunk in chunks:
        for n, row in enumerate(chunk, 1):
            sheet.append([_cell(sheet, v) for v in to_cells(row)])
            if n % YIELD_EVERY == 0:
                time.sleep(0)  # offer the GIL to the event loop, as the CSV export does
        rows += len(chunk)
    book.save(path)
    return rows


def people_columns(t) -> tuple[list[str], Callable]:
    header = [t(f"list.col.{k}") for k in ("code", "name", "category", "region", "region_name", "status", "until",
                                           "as_of")]

    def cells(r):
        return [r.code, r.name, t(f"category.{r.category}"), r.region, region_name(r.region) or "",
                t(f"status.{r.status}"), r.status_until, r.status_as_of]
    return header, cells


def objection_columns(t, lang: str, policy: Policy) -> tuple[list[str], Callable]:
    header = [t(f"list.col.{k}") for k in ("filed", "state", "code", "name", "case", "decision_date", "violation",
                                           "points", "institution", "reason")]

    def violation(r) -> str:
        try:
            v = policy.violation(r.violation_code, r.code[-12:-6], r.decision_date)
        except RuleViolation:
            return r.violation_code
        return t("letter.named", name=v.name_zh if lang == "zh" else v.name_en, code=r.violation_code)

    def cells(r):
        return [china_date(r.filed_at), t(f"list.state.{r.state}"), r.code, r.name, r.case_number, r.decision_date,
                violation(r), r.points, r.institution_code, r.reason]
    return header, cells


async def xlsx_response(request: Request, name: str, build: Callable[[str], int], today: date) -> FileResponse:
    """Builds the file with `build(path)` in a worker thread, then sends it and removes it."""
    handle, path = tempfile.mkstemp(prefix="points-export-", suffix=".xlsx")
    os.close(handle)
    try:
        await anyio.to_thread.run_sync(build, path, limiter=_limiter(request.app.state))
    except BaseException:
        os.unlink(path)
        raise
    return FileResponse(path, media_type=XLSX, filename=f"{name}-{today}.xlsx",
                        background=BackgroundTask(os.unlink, path))
