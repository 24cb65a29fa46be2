"""A tutor over the fixture lessons plus three trainers' documents (Markdown, a long text file, an HTML page),
shared by the API and browser tests of document pages."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from tests.conftest import FIXTURE_CORPUS, ROOT
from tutor.api.app import create_app
from tutor.config import Settings
from tutor.corpus.ingest import ingest_paths, save_ingested
from tutor.embed.hashing import HashingEmbedder
from tutor.index.build import build_index
from tutor.wiring import build_tutor

HUE_S = (
    "---\ntitle: Cẩm nang Hue-S cho người dân\n---\n"
    "# Cẩm nang Hue-S\n\n"
    "## Cài đặt Hue-S\n"
    "Mở kho ứng dụng, tìm Hue-S của tỉnh Thừa Thiên Huế rồi bấm cài đặt. Đăng nhập bằng tài khoản VNeID.\n\n"
    "## Phản ánh hiện trường\n"
    "Chọn mục phản ánh hiện trường, chụp ảnh ổ gà hoặc rác thải, ghi vị trí rồi gửi cho chính quyền phường.\n"
)
# One heading-less section long enough for several overlapping chunks: a source that must be cited once.
SENTENCES = [
    f"Bước {i} của thủ tục cấp giấy phép xây dựng nhà ở riêng lẻ trực tuyến là kiểm tra mục {i} trong hồ sơ "
    f"bản vẽ thiết kế và giấy tờ đất."
    for i in range(1, 16)
]
PERMIT = "Cấp giấy phép xây dựng nhà ở riêng lẻ qua mạng\n" + " ".join(SENTENCES) + "\n"
WATER = (
    "<!doctype html><html><head><title>Thanh toán tiền nước qua ứng dụng</title></head><body>"
    "<h1>Thanh toán tiền nước</h1><p>Mở ứng dụng ngân hàng, chọn thanh toán hóa đơn nước, nhập mã khách hàng in "
    "trên hóa đơn của công ty cấp nước rồi xác nhận.</p></body></html>"
)
#: Questions each answered by one of the documents (unaccented ones too), and the document's title.
QUESTIONS = {
    "cài Hue-S thế nào": "Cẩm nang Hue-S cho người dân",
    "phan anh o ga tren Hue-S": "Cẩm nang Hue-S cho người dân",
    "thủ tục cấp giấy phép xây dựng nhà ở riêng lẻ trực tuyến kiểm tra hồ sơ bản vẽ": (
        "Cấp giấy phép xây dựng nhà ở riêng lẻ qua mạng"
    ),
    "thanh toan tien nuoc bang ung dung ngan hang": "Thanh toán tiền nước qua ứng dụng",
}


def documents_settings(tmp_path: Path) -> Settings:
    """Fixture lessons and the three documents, ingested and indexed with the hashing embedder."""
    settings = Settings(
        data_dir=tmp_path / "data",
        corpus_dir=FIXTURE_CORPUS,
        prompts_dir=ROOT / "prompts",
        embedder="hash",
        llm="extractive",
        scope_gate=False,
        learner_db_url=f"sqlite:///{tmp_path / 'learners.sqlite3'}",
        cert_key_path=tmp_path / "keys" / "cert.pem",
    )
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "hue-s.md").write_text(HUE_S, encoding="utf-8")
    (docs / "p150.txt").write_text(PERMIT, encoding="utf-8")
    (docs / "nuoc.html").write_text(WATER, encoding="utf-8")
    report = ingest_paths([docs])
    assert len(report.documents) == 3, report.skipped
    save_ingested(report, settings.ingested_dir)
    build_index(settings.index_dir, settings.lessons_dir, HashingEmbedder(), ingested_dir=settings.ingested_dir)
    return settings


def documents_app(settings: Settings) -> FastAPI:
    return create_app(settings, build_tutor(settings, embedder=HashingEmbedder()), embedder=HashingEmbedder())
