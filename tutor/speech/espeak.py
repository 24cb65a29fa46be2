"""EspeakSpeaker: Vietnamese speech from Debian's espeak-ng, offline, as WAV bytes.

Chosen because nothing else here reads Vietnamese offline: the `korvatts` package (0.1.3, a Vietnamese ONNX voice)
ships no weights in its 22 kB wheel and downloads them from a model hub on first use, and piper's voices are not on
PyPI either. espeak-ng's voice is robotic but clear, takes tens of milliseconds per sentence on one core, and its
Vietnamese voices (vi, vi-vn-x-central, vi-vn-x-south) come with the Debian package.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import wave

import numpy as np

from tutor.speech.base import SpeechUnavailableError

#: espeak-ng needs a fraction of a second per sentence; a section of a lesson takes well under this.
TIMEOUT_S = 60.0


class EspeakSpeaker:
    """`espeak-ng -v <voice> -s <words per minute> --stdout`, the text on stdin (no length limit, no shell)."""

    def __init__(self, voice: str = "vi", rate: int = 130, binary: str = "espeak-ng") -> None:
        self.voice = voice
        self.rate = rate
        self.binary = binary

    @property
    def id(self) -> str:
        return f"espeak-ng-{self.voice}-{self.rate}"

    def available(self) -> bool:
        return shutil.which(self.binary) is not None

    def synthesize(self, text: str) -> bytes:
        path = shutil.which(self.binary)
        if path is None:
            raise SpeechUnavailableError(
                "Máy chủ chưa cài giọng đọc tiếng Việt (espeak-ng). Quản trị viên cài bằng `apt-get install "
                "espeak-ng`; trong lúc chờ, điện thoại có giọng đọc tiếng Việt vẫn đọc được."
            )
        try:
            done = subprocess.run(
                [path, "-v", self.voice, "-s", str(self.rate), "--stdin", "--stdout"],
                input=text.encode("utf-8"),
                capture_output=True,
                timeout=TIMEOUT_S,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise SpeechUnavailableError(f"Giọng đọc không chạy được ({type(exc).__name__}); hãy thử lại sau.") from exc
        if done.returncode != 0 or not done.stdout.startswith(b"RIFF"):
            problem = done.stderr.decode("utf-8", "replace").strip()[:200] or f"mã thoát {done.returncode}"
            raise SpeechUnavailableError(f"Giọng đọc báo lỗi ({problem}); hãy thử lại sau.")
        return halve_rate(_fix_lengths(done.stdout))


def halve_rate(wav: bytes) -> bytes:
    """22,050 Hz mono 16-bit → 11,025 Hz: half the bytes for a phone on a slow connection (a minute of speech is
    1.3 MB instead of 2.6 MB); espeak-ng's voice has little above 5 kHz, so nothing audible is lost. A light low-pass
    (1-2-1) before dropping every other sample keeps the high hiss from folding back."""
    with wave.open(io.BytesIO(wav)) as src:
        if src.getnchannels() != 1 or src.getsampwidth() != 2 or src.getframerate() < 16000:
            return wav
        rate = src.getframerate()
        samples = np.frombuffer(src.readframes(src.getnframes()), dtype="<i2").astype(np.int32)
    padded = np.concatenate(([samples[0]] if samples.size else [], samples, [samples[-1]] if samples.size else []))
    smooth = (padded[:-2] + 2 * padded[1:-1] + padded[2:]) // 4 if samples.size else samples
    out = io.BytesIO()
    with wave.open(out, "wb") as dst:
        dst.setnchannels(1)
        dst.setsampwidth(2)
        dst.setframerate(rate // 2)
        dst.writeframes(np.clip(smooth[::2], -32768, 32767).astype("<i2").tobytes())
    return out.getvalue()


def _fix_lengths(wav: bytes) -> bytes:
    """espeak-ng writing to a pipe cannot seek back, so the RIFF and data sizes it leaves are placeholders (0 or
    0x7fffffff); browsers and `wave` want the real ones. The data chunk is always the last one."""
    data_at = wav.find(b"data", 12)
    if not wav.startswith(b"RIFF") or data_at < 0:
        return wav
    size = len(wav) - (data_at + 8)
    out = bytearray(wav)
    out[4:8] = (len(wav) - 8).to_bytes(4, "little")
    out[data_at + 4 : data_at + 8] = size.to_bytes(4, "little")
    return bytes(out)
