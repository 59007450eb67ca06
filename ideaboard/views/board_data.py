"""Staff: the board as CSV (ideas, votes), and admins' import from another tool with a dry run first."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from ideaboard import audit, exports, imports, inputs
from ideaboard.auth import staff_user
from ideaboard.templating import render

CSV_TYPE = "text/csv; charset=utf-8"


def _csv(lines, name: str) -> StreamingResponse:
    day = datetime.now(UTC).date().isoformat()
    return StreamingResponse(lines, media_type=CSV_TYPE, headers={
        "Content-Disposition": f'attachment; filename="{name}-{day}.csv"', "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff"})


async def export_ideas(request: Request) -> Response:
    """Every idea with its counts, status, owner and reach, streamed a page at a time."""
    await audit.record(staff_user(request), "export.ideas", "idea", None)
    return _csv(exports.idea_lines(request.state.settings.base_url), "ideas")


async def export_votes(request: Request) -> Response:
    await audit.record(staff_user(request), "export.votes", "idea", None)
    return _csv(exports.vote_lines(), "votes")


async def data_page(request: Request) -> Response:
    """The import form; POST checks the file (a dry run unless "Import" was pressed) and shows what it found."""
    context: dict = {"kinds": imports.KINDS, "values": {"kind": "ideas"}, "report": None, "error": "",
                     "section": "admin", "max_mb": imports.MAX_BYTES // (1024 * 1024),
                     "exports_columns": {"ideas": ", ".join(exports.IDEA_COLUMNS),
                                         "votes": ", ".join(exports.VOTE_COLUMNS)}}
    if request.method == "GET":
        return render(request, "staff/data.html", context)
    fields, data = await _upload(request)
    context["values"] = {"kind": fields.get("kind", "ideas")}
    try:
        if not data:
            raise imports.ImportRefused("Choose a CSV file to import.")
        report = await imports.import_csv(staff_user(request), fields.get("kind", ""), data,
                                          dry_run=fields.get("action") != "import")
    except imports.ImportRefused as exc:
        context["error"] = str(exc)
        return render(request, "staff/data.html", context, status_code=422)
    context["report"] = report
    return render(request, "staff/data.html", context, status_code=422 if report.errors else 200)


async def _upload(request: Request) -> tuple[dict[str, str], bytes]:
    """The form's text fields and its one file (at most the import's limit, plus a byte to tell it was longer)."""
    async with request.form(max_files=1, max_fields=inputs.MAX_FIELDS) as form:
        pairs, _ = inputs.clean_pairs([(k, v) for k, v in form.multi_items() if isinstance(v, str)])
        upload = form.get("file")
        data = await upload.read(imports.MAX_BYTES + 1) if isinstance(upload, UploadFile) else b""
    return dict(pairs), data
