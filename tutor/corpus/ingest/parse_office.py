"""PDF (one section per page) and DOCX (split at Heading/Title paragraphs) to sections."""

from __future__ import annotations

import contextlib
import io

from tutor.corpus.ingest.parsed import Parsed, RawSection, reflow
from tutor.corpus.ingest.report import Skip
from tutor.text import normalize

# --------------------------------------------------------------------------------------------------- PDF


def parse_pdf(data: bytes) -> Parsed:
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        encrypted = reader.is_encrypted
    except Exception as exc:
        raise Skip("corrupt", f"PDF hỏng hoặc không phải PDF ({type(exc).__name__}).") from exc
    if encrypted:
        try:
            ok = bool(reader.decrypt(""))
        except Exception:
            ok = False
        if not ok:
            raise Skip("encrypted", "PDF có mật khẩu. Gỡ mật khẩu rồi nạp lại.")
    try:
        pages = list(reader.pages)
    except Exception as exc:
        raise Skip("corrupt", f"PDF hỏng, không đọc được danh sách trang ({type(exc).__name__}).") from exc
    sections: list[RawSection] = []
    for number, page in enumerate(pages, start=1):
        try:
            text = page.extract_text() or ""
        except Exception:  # one broken page does not lose the others
            continue
        sections.append(RawSection(None, reflow(normalize(text)), page=number))
    if not any(s.text.strip() for s in sections):
        raise Skip("no-text", "PDF không có lớp chữ (có thể là bản quét). Cần nhận dạng chữ (OCR) trước.")
    title: str | None = None
    with contextlib.suppress(Exception):
        meta_title = reader.metadata.title if reader.metadata else None
        title = str(meta_title) if meta_title else None
    return Parsed(title, sections, pages=len(pages))


# --------------------------------------------------------------------------------------------------- DOCX


def parse_docx(data: bytes) -> Parsed:
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:
        raise Skip("corrupt", f"Tệp DOCX hỏng hoặc không phải DOCX ({type(exc).__name__}).") from exc
    sections: list[RawSection] = []
    heading: str | None = None
    lines: list[str] = []
    first_heading: str | None = None
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            style = ""
            with contextlib.suppress(Exception):
                style = (block.style.name if block.style is not None else "") or ""
            text = block.text
            if (style.startswith("Heading") or style == "Title") and text.strip():
                sections.append(RawSection(heading, "\n".join(lines)))
                heading, lines = normalize(text).replace("\n", " "), []
                first_heading = first_heading or heading
            else:
                lines.append(text)
        elif isinstance(block, Table):
            for row in block.rows:
                cells: list[str] = []
                for cell in row.cells:  # a merged cell repeats in every column it spans
                    if cell.text.strip() and (not cells or cells[-1] != cell.text.strip()):
                        cells.append(cell.text.strip().replace("\n", " "))
                lines.append(" | ".join(cells))
    sections.append(RawSection(heading, "\n".join(lines)))
    core_title = ""
    with contextlib.suppress(Exception):
        core_title = document.core_properties.title or ""
    return Parsed(core_title.strip() or first_heading, sections)
