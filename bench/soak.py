#!/usr/bin/env python
"""Soak: the load mix at moderate load for a long time, watching worker memory.

Runs bench/load_mix.py's request mix (a few users with think time) against
gunicorn on PostgreSQL (database `shop_soak`, sync workers, worker recycling
off so a leak cannot hide) and samples every worker's resident set size from
/proc/<pid>/status every --sample seconds. Prints the RSS series as it goes
and, at the end, growth per worker (first sample after warm-up vs last),
request counts and every error. Writes the samples as JSON to --out.

    .venv/bin/python bench/soak.py [--minutes 30] [--users 4] [--think 0.05]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import load_mix  # noqa: E402
from tests.system import harness  # noqa: E402


async def sample_rss(server, stats, until, every, samples, started):
    while True:
        pids = server.worker_pids()
        row = {
            "t": round(time.monotonic() - started),
            "rss_kib": {str(pid): harness.rss_kib(pid) for pid in pids},
            "requests": sum(len(v) for v in stats.latencies.values()),
            "errors": sum(stats.errors.values()),
        }
        samples.append(row)
        rss = " ".join(
            f"{pid}:{(kib or 0) / 1024:.1f}" for pid, kib in row["rss_kib"].items()
        )
        print(
            f"t={row['t']:>5}s  rss MiB {rss}  requests={row['requests']}"
            f"  errors={row['errors']}",
            flush=True,
        )
        if time.monotonic() >= until:
            return
        await asyncio.sleep(min(every, max(0.0, until - time.monotonic())))


async def soak(server, world, args):
    stats = load_mix.Stats()
    samples: list[dict] = []
    started = time.monotonic()
    until = started + args.minutes * 60
    await asyncio.gather(
        *(
            load_mix.virtual_user(i, world, stats, until, args.think)
            for i in range(args.users)
        ),
        sample_rss(server, stats, until, args.sample, samples, started),
    )
    return stats, samples, time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--db", default="shop_soak")
    parser.add_argument("--port", type=int, default=18340)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--users", type=int, default=4)
    parser.add_argument("--think", type=float, default=0.05)
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--sample", type=float, default=10)
    parser.add_argument("--warmup-samples", type=int, default=3)
    parser.add_argument("--out", default="/tmp/shop-soak/soak.json")
    args = parser.parse_args()
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)

    env = harness.prepare_database(args.db, products=200, stock=10**7)
    env["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    # The clients log in once; their access tokens must outlive the run (the
    # first 30-minute soak ended on 401s when the default 30 minutes ran out).
    env["JWT_ACCESS_MINUTES"] = str(int(args.minutes) + 30)
    print(
        f"machine: {load_mix.machine()}; gunicorn {args.workers} sync workers, "
        f"max_requests off; {args.users} users, think {args.think} s; "
        f"{args.minutes} min",
        flush=True,
    )
    with harness.Server(env, port=args.port, workers=args.workers) as server:
        world = load_mix.prepare_world(args.db, server.base_url, customers=args.users)
        stats, samples, elapsed = asyncio.run(soak(server, world, args))
    print(f"\n## Soak, {elapsed / 60:.1f} min\n")
    print(load_mix.table(stats, elapsed))
    print("\nerrors:", dict(stats.error_samples) or "none")
    # Argon2 hashing (register, log in) lifts a worker by ~100 MiB while it
    # runs, so compare floors: the lowest RSS in a window of samples.
    window = max(3, len(samples) // 10)
    head = samples[args.warmup_samples : args.warmup_samples + window] or samples
    tail = samples[-window:]
    last = samples[-1]
    growth = {}
    for pid in last["rss_kib"]:

        def floor(rows, pid=pid):
            values = [r["rss_kib"].get(pid) for r in rows if r["rss_kib"].get(pid)]
            return round(min(values) / 1024, 1) if values else None

        start, end = floor(head), floor(tail)
        growth[pid] = {
            "floor_start_mib": start,
            "floor_end_mib": end,
            "floor_growth_mib": None if start is None else round(end - start, 1),
            "peak_mib": round(
                max(s["rss_kib"].get(pid) or 0 for s in samples) / 1024, 1
            ),
        }
    pids_seen = sorted({pid for s in samples for pid in s["rss_kib"]})
    print("\nworker RSS floors (start -> end of run):", json.dumps(growth))
    print("worker pids seen:", pids_seen)
    with open(args.out, "w") as fh:
        json.dump(
            {
                "minutes": round(elapsed / 60, 2),
                "users": args.users,
                "think": args.think,
                "requests": last["requests"],
                "errors": dict(stats.error_samples),
                "growth": growth,
                "pids_seen": pids_seen,
                "samples": samples,
            },
            fh,
            indent=1,
        )
    return 1 if stats.errors else 0


if __name__ == "__main__":
    sys.exit(main())
