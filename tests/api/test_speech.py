"""Read-aloud: the Vietnamese reading normaliser, espeak-ng's WAV for a lesson section (duration checked with sox and
Python's wave), the on-disk cache, and the HTTP endpoints."""

from __future__ import annotations

import io
import shutil
import subprocess
import wave
from pathlib import Path

import pytest

from tests.api.conftest import Api, MakeApi
from tests.conftest import ROOT
from tutor.api.markdown_html import plain_text
from tutor.corpus.load import load_lessons
from tutor.speech.cache import SpeechCache
from tutor.speech.espeak import EspeakSpeaker
from tutor.speech.numbers import decimal_words, digit_words, integer_words
from tutor.speech.reading import reading

# -- numbers ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (0, "không"),
        (5, "năm"),
        (10, "mười"),
        (15, "mười lăm"),
        (21, "hai mươi mốt"),
        (24, "hai mươi tư"),
        (55, "năm mươi lăm"),
        (105, "một trăm linh năm"),
        (110, "một trăm mười"),
        (2025, "hai nghìn không trăm hai mươi lăm"),
        (1005, "một nghìn không trăm linh năm"),
        (50000, "năm mươi nghìn"),
        (1_500_000, "một triệu năm trăm nghìn"),
        (2_000_000_000, "hai tỷ"),
    ],
)
def test_numbers_are_read_as_vietnamese_speakers_say_them(n: int, words: str) -> None:
    assert integer_words(n) == words


def test_decimals_and_digit_strings() -> None:
    assert decimal_words("1", "5") == "một phẩy năm"
    assert decimal_words("0", "05") == "không phẩy không năm"
    assert digit_words("113") == "một một ba"
    assert integer_words(10**13) == digit_words(str(10**13))  # too long to be a quantity: digit by digit


# -- the normaliser -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("Không đưa mã OTP cho ai.", "Không đưa mã ô tê pê cho ai."),
        ("Đăng nhập VNeID bằng số CCCD.", "Đăng nhập vê en e ai đi bằng số căn cước công dân."),
        ("Bật Wi-Fi rồi quét mã QR.", "Bật oai phai rồi quét mã kiu a."),
        ("Vào dichvucong.gov.vn để nộp hồ sơ.", "Vào dịch vụ công chấm gờ o vê chấm vê nờ để nộp hồ sơ."),
        ("Gọi 113 ngay.", "Gọi một một ba ngay."),
        ("Số máy 0912 345 678.", "Số máy không chín một hai, ba bốn năm, sáu bảy tám."),
        ("Hiệu lực từ 01/07/2023.", "Hiệu lực từ ngày một tháng bảy năm hai nghìn không trăm hai mươi ba."),
        ("Nghị định 13/2023/NĐ-CP", "Nghị định mười ba năm hai nghìn không trăm hai mươi ba nờ đê xê pê"),
        ("Cần đúng 80% số câu.", "Cần đúng tám mươi phần trăm số câu."),
        ("Phí 50.000đ.", "Phí năm mươi nghìn đồng."),
        ("Mất 10–15 phút.", "Mất mười đến mười lăm phút."),
        ("Mã gồm 6 chữ số.", "Mã gồm sáu chữ số."),
        ("**Lưu ý**: tắt máy [1]. 👍", "Lưu ý: tắt máy."),
    ],
)
def test_the_normaliser_writes_out_what_a_voice_would_misread(text: str, said: str) -> None:
    assert reading(text) == said


def test_a_lesson_section_reads_without_markdown_digits_or_latin_abbreviations() -> None:
    lessons = {lesson.id: lesson for lesson in load_lessons(ROOT / "corpus" / "lessons")}
    for lesson in lessons.values():
        for section in lesson.sections:
            said = reading(plain_text(section.text))
            assert not any(c.isdigit() for c in said), (lesson.id, section.id, said)
            assert "**" not in said and "OTP" not in said and "VNeID" not in said, (lesson.id, section.id)


# -- the engine and the cache ---------------------------------------------------------------------------------------


@pytest.fixture
def espeak_installed() -> None:
    """A missing espeak-ng is a failure, not a skip: `make test` installs it (APT_PACKAGES)."""
    if shutil.which("espeak-ng") is None or shutil.which("soxi") is None:
        pytest.fail("espeak-ng or sox is missing: `make install-dev` installs them with apt")


needs_espeak = pytest.mark.usefixtures("espeak_installed")


def _section_text() -> str:
    lesson = next(x for x in load_lessons(ROOT / "corpus" / "lessons") if x.id == "an-toan-ma-otp")
    section = lesson.section("co-ban")
    assert section is not None
    return reading(f"{section.title}.\n{plain_text(section.text)}")


@needs_espeak
def test_a_lesson_section_becomes_a_wav_of_plausible_length(tmp_path: Path) -> None:
    text = _section_text()
    words = len(text.split())
    path = SpeechCache(tmp_path).audio(EspeakSpeaker(rate=130), text)
    raw = path.read_bytes()
    with wave.open(io.BytesIO(raw)) as w:
        assert w.getnchannels() == 1 and w.getsampwidth() == 2
        seconds = w.getnframes() / w.getframerate()
    # sox reads the same file the browser gets; its duration must agree with the header.
    soxi = subprocess.run(["soxi", "-D", str(path)], capture_output=True, text=True, check=True)
    assert abs(float(soxi.stdout) - seconds) < 0.05
    # 130 words a minute asked; Vietnamese syllables are short words: between 1 and 4 a second is speech, not
    # silence or a truncated file.
    assert words / 4 <= seconds <= words / 1, (words, seconds)
    print(f"\nread-aloud: {words} words -> {seconds:.1f} s of audio, {len(raw) // 1024} KB")


@needs_espeak
def test_audio_is_made_once_per_text_and_voice(tmp_path: Path) -> None:
    cache, speaker = SpeechCache(tmp_path), EspeakSpeaker()
    first = cache.audio(speaker, "xin chào")
    stamp = first.stat().st_mtime_ns
    assert cache.audio(speaker, "xin chào") == first and first.stat().st_mtime_ns == stamp
    assert cache.audio(EspeakSpeaker(rate=160), "xin chào") != first  # another speed is another file
    assert cache.audio(speaker, "tạm biệt") != first


# -- over HTTP ---------------------------------------------------------------------------------------------------


@needs_espeak
def test_a_lesson_section_is_served_as_wav_and_cached_on_disk(api: Api) -> None:
    r = api.client.get("/api/lessons/an-toan-ma-otp/sections/co-ban/speech")
    assert r.status_code == 200 and r.headers["content-type"] == "audio/wav" and r.content.startswith(b"RIFF")
    assert "max-age" in r.headers["cache-control"]
    cached = list(api.services.settings.speech_cache_dir.rglob("*.wav"))
    assert len(cached) == 1 and cached[0].read_bytes() == r.content
    assert api.client.get("/api/lessons/an-toan-ma-otp/sections/khong-co/speech").status_code == 404


@needs_espeak
def test_an_answer_is_read_aloud_and_its_reading_is_offered_to_phone_voices(api: Api) -> None:
    wav = api.client.post("/api/speech", json={"text": "Gọi 113 nếu ai đòi mã OTP."})
    assert wav.status_code == 200 and wav.content.startswith(b"RIFF")
    said = api.client.post("/api/speech/reading", json={"text": "Gọi 113 nếu ai đòi mã OTP."}).json()
    assert said == {"reading": "Gọi một một ba nếu ai đòi mã ô tê pê."}
    empty = api.client.post("/api/speech", json={"text": " 👍 "})
    assert empty.status_code == 422 and "Không có chữ nào" in empty.json()["message"]


def test_with_read_aloud_switched_off_the_service_says_so_in_vietnamese(make_api: MakeApi) -> None:
    api = make_api(tts="none")
    r = api.client.get("/api/lessons/an-toan-ma-otp/sections/co-ban/speech")
    assert r.status_code == 503 and "giọng đọc" in r.json()["message"]
