"""Ingest trainers' own documents (Markdown, text, HTML, PDF, DOCX) as chunks a later index build can include.

`ingest_paths` (run.py) reads files and folders, decodes them (decode.py) and normalises their text
(`tutor.text.normalize`), splits it into sections (parse_markup.py: headings; parse_office.py: headings, or
pages for PDF) and cuts each section at Vietnamese sentence boundaries (`tutor.text.sentences`) with an overlap
of whole sentences (chunking.py). report.py holds what a run returns and how chunk ids trace back to files;
store.py keeps the chunks on disk.

Documents are data, never instructions: their text is only extracted and stored. Nothing in them is run
or followed (no scripts, macros, links or external resources are loaded), and scripts, styles, navigation
and hidden elements of HTML pages are dropped before the text is read.
"""

# Tests patch `os.replace` / `os.fsync` through this package's `os`, as they did when it was one module.
import os as os

from tutor.corpus.ingest.chunking import PREAMBLE_ID, PREAMBLE_TITLE
from tutor.corpus.ingest.report import (
    SKIP_CODES,
    IngestedDoc,
    IngestReport,
    SectionRef,
    Skipped,
    doc_id_for,
    parse_chunk_id,
    with_metadata,
)
from tutor.corpus.ingest.run import DEFAULT_MAX_BYTES, DEFAULT_MAX_CHARS, SUPPORTED_EXTENSIONS, ingest_paths
from tutor.corpus.ingest.store import (
    MANIFEST_NAME,
    MANIFEST_VERSION,
    ingested_hashes,
    load_ingested,
    load_manifest,
    save_ingested,
    store_and_index,
)
from tutor.types import is_document_id  # defined below every layer, so safety can ask it too

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_CHARS",
    "MANIFEST_NAME",
    "MANIFEST_VERSION",
    "PREAMBLE_ID",
    "PREAMBLE_TITLE",
    "SKIP_CODES",
    "SUPPORTED_EXTENSIONS",
    "IngestReport",
    "IngestedDoc",
    "SectionRef",
    "Skipped",
    "doc_id_for",
    "ingest_paths",
    "ingested_hashes",
    "is_document_id",
    "load_ingested",
    "load_manifest",
    "parse_chunk_id",
    "save_ingested",
    "store_and_index",
    "with_metadata",
]
