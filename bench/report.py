"""The summary table of bench/run.py: one column per database, ratios with their targets."""
import os
from datetime import date


def _ms(r: dict) -> str:
    return f"{r['p50_ms']:.2f} / {r['p99_ms']:.2f}"


def _mb(values: list[float]) -> str:
    return " + ".join(f"{v:,.0f}" for v in values)


def _snapshot_cost(r: dict) -> str:
    grown = r["subject"]["1"]["rss_loaded_mb"][0] - r["rss_no_snapshot_mb"][0]
    return f"{grown:,.0f} ({grown * 2**20 / r['people']:,.0f})"


def table(results: list[dict], args) -> str:
    title = (f"Benchmark: {args.people:,} practitioners, wrk -t1 -c{args.connections} -d{args.seconds}s over "
             f"loopback, {os.cpu_count()} cores, {date.today()}. Every server started with `points serve`'s uvicorn "
             "settings; the subject is `points serve` as shipped.")
    rows = [title, "",
            "| measure | " + " | ".join(r["kind"] for r in results) + " | target |",
            "| --- |" + " --- |" * (len(results) + 1)]

    def row(name, fn, target=""):
        cells = []
        for r in results:
            try:
                cells.append(fn(r))
            except (KeyError, TypeError, ZeroDivisionError):
                cells.append("—")
        rows.append(f"| {name} | " + " | ".join(cells) + f" | {target} |")

    base, sub = (lambda r: r["baselines"]), (lambda r, n: r["subject"][str(n)])
    row("(L) limit, raw ASGI constant JSON, 1 worker: req/s", lambda r: f"{base(r)['limit']['rps']:,.0f}")
    row("(L) p50 / p99 ms", lambda r: _ms(base(r)["limit"]))
    row("(F) bare FastAPI endpoint, 1 worker: req/s", lambda r: f"{base(r)['bare']['rps']:,.0f}")
    row("(F) p50 / p99 ms", lambda r: _ms(base(r)["bare"]))
    for n in args.workers:
        row(f"GET /v1/eligibility, points serve --workers {n}: req/s", lambda r, n=n: f"{sub(r, n)['single']['rps']:,.0f}")
        row("  p50 / p99 ms", lambda r, n=n: _ms(sub(r, n)["single"]), "p99 < 10 ms" if n == 1 else "")
    row("eligibility / L, 1 worker", lambda r: f"{sub(r, 1)['single']['rps'] / base(r)['limit']['rps']:.0%}", "≥ 50%")
    row("eligibility / F, 1 worker", lambda r: f"{sub(r, 1)['single']['rps'] / base(r)['bare']['rps']:.0%}")
    for n in args.workers[1:]:
        row(f"scaling, {n} workers / 1 worker", lambda r, n=n:
            f"{sub(r, n)['single']['rps'] / sub(r, 1)['single']['rps']:.2f}×", "≥ 1.8×" if n == 2 else "")
    def pairs(r):
        return r["side_by_side"]

    row("side by side (servers up together, loaded in turn): rounds", lambda r: str(len(pairs(r)["rounds"])))
    row("  eligibility / L, 1 worker, each round", lambda r: ", ".join(
        f"{x['single_ratio']:.0%}" for x in pairs(r)["rounds"]))
    row("  eligibility / L, 1 worker, median", lambda r: f"{pairs(r)['median_single_ratio']:.0%}", "≥ 50%")
    row("  scaling 2 / 1 workers, each round", lambda r: ", ".join(f"{x['scaling']:.2f}×" for x in pairs(r)["rounds"]))
    row("  scaling 2 / 1 workers, median", lambda r: f"{pairs(r)['median_scaling']:.2f}×", "≥ 1.8×")
    row("  the limit's own scaling, L at 2 / 1 workers, median", lambda r: f"{pairs(r)['median_limit_scaling']:.2f}×")
    row("  scaling 2 / 1 workers, requests pipelined 16 at a time: req/s, each round", lambda r: ", ".join(
        f"{x['one_pipelined']:,.0f} → {x['two_pipelined']:,.0f}" for x in pairs(r)["rounds"]))
    row("  scaling 2 / 1 workers, pipelined, median", lambda r: f"{pairs(r)['median_pipelined_scaling']:.2f}×",
        "≥ 1.8×")
    row("  server CPU per check pipelined, 1 / 2 workers: µs, each round", lambda r: ", ".join(
        f"{x['cpu_us_per_check']['one_pipelined']:.0f} / {x['cpu_us_per_check']['two_pipelined']:.0f}"
        for x in pairs(r)["rounds"]))
    row("  server CPU per check, 1 / 2 workers: µs, each round", lambda r: ", ".join(
        f"{x['cpu_us_per_check']['one']:.0f} / {x['cpu_us_per_check']['two']:.0f}" for x in pairs(r)["rounds"]))
    row("  capacity scaling 2 / 1 workers (2 × CPU per check at 1 / at 2), median",
        lambda r: f"{2 * pairs(r)['median_cpu_scaling']:.2f}×", "≥ 1.8× (throughput)")
    row("  batch / E, 1 worker, each round", lambda r: ", ".join(
        f"{x['batch_ratio']:.2f}×" for x in pairs(r)["rounds"]))
    row("  batch / E, 1 worker, median", lambda r: f"{pairs(r)['median_batch_ratio']:.2f}×", "≤ 1.5×")
    row("  the same without the client's parse of the answers, each round", lambda r: ", ".join(
        f"{x['answered_ratio']:.2f}×" for x in pairs(r)["rounds"]))
    row("  the same without the client's parse of the answers, median",
        lambda r: f"{pairs(r)['median_answered_ratio']:.2f}×")
    row("  the client's parse of the answers, 1,000,000 lines: E / subject, each round", lambda r: ", ".join(
        f"{x['floor_s'] - x['floor_answered_s']:.2f} / {x['batch_s'] - x['batch_answered_s']:.2f} s"
        for x in pairs(r)["rounds"]))
    row("(E) batch floor, 1,000,000 lines, 1 in flight: s", lambda r: f"{base(r)['floor']['seconds']:.2f}")
    for n in args.workers:
        row(f"batch 1,000,000 lines, {n} worker(s), {n} in flight: s",
            lambda r, n=n: f"{sub(r, n)['batch']['seconds']:.2f}")
    row("batch / E, 1 worker", lambda r: f"{sub(r, 1)['batch']['seconds'] / base(r)['floor']['seconds']:.2f}×",
        "≤ 1.5×")
    row("RSS, (F) bare FastAPI worker: MB", lambda r: _mb(base(r)["bare"]["rss_mb"]))
    row("RSS, points serve without snapshot: MB", lambda r: _mb(r["rss_no_snapshot_mb"]))
    for n in args.workers:
        row(f"RSS per worker, snapshot loaded, {n} worker(s): MB", lambda r, n=n: _mb(sub(r, n)["rss_loaded_mb"]))
        row("  peak while loading (VmHWM): MB", lambda r, n=n: _mb(sub(r, n)["rss_peak_loading_mb"]))
    row("snapshot cost (loaded − without snapshot), 1 worker: MB (B/person)", _snapshot_cost, "≤ 40 B/person")
    row("RSS over bare FastAPI, 1 worker: MB",
        lambda r: f"{sub(r, 1)['rss_loaded_mb'][0] - base(r)['bare']['rss_mb'][0]:,.0f}", "≤ 80 MB at 1M")
    for n in args.workers:
        row(f"start to first answer / to snapshot loaded from the image, {n} worker(s): s"
            + ("" if n == 1 else " (all workers: see docs/performance.md)"),
            lambda r, n=n: f"{sub(r, n)['up_s']:.1f} / {sub(r, n)['loaded_s']:.1f}", "load < 2 s at 1M" if n == 1 else "")
    row("first start, no saved image: start to first answer / to snapshot read in full: s",
        lambda r: f"{r['cold_start']['up_s']:.1f} / {r['cold_start']['loaded_s']:.1f}")
    row("  peak while loading (VmHWM): MB", lambda r: _mb(r["cold_start"]["rss_peak_loading_mb"]))
    row("job snapshot_image (read everyone, save): s (MB saved)",
        lambda r: f"{r['cold_start']['image_job_s']:.1f} ({r['cold_start']['image_bytes'] / 2**20:,.1f})")
    for name in ("person", "search"):
        row(f"page /ui/{name}, 1 worker, 10 connections: req/s",
            lambda r, n=name: f"{sub(r, 1)['pages'][n]['rps']:,.0f}")
        row("  p50 / p99 ms", lambda r, n=name: f"{sub(r, 1)['pages'][n]['p50_ms']:.1f} / "
                                               f"{sub(r, 1)['pages'][n]['p99_ms']:.1f}")
    row("status change made elsewhere visible after: s", lambda r: f"{sub(r, 1)['visible_s']:.3f}", "< 1 s")
    for job in ("year_rollover", "status_transitions", "claims_full_sweep"):
        row(f"job {job}: s", lambda r, j=job: f"{r['jobs'][j][0]:.1f}")
    row("database build: s", lambda r: f"{r['built']['seconds']:.0f}")
    row("machine load average (1 min) at start / after the HTTP loads",
        lambda r: f"{r['load_average_at_start'][0]:.1f} / {r['load_average_after_http'][0]:.1f}")
    return "\n".join(rows)
