#!/usr/bin/env python3
"""Turns bench/run.sh's raw results into docs/BENCHMARKS.md and a JSON file.

Every figure in the Markdown comes from the result files of that one run;
nothing is typed in by hand.
"""

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess

from report_md import render


def read_jsonl(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def machine():
    model = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem_kb = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "memory_total_mib": mem_kb // 1024,
        "kernel": platform.release(),
        "os": subprocess.run(["sh", "-c", ". /etc/os-release && echo \"$PRETTY_NAME\""],
                             capture_output=True, text=True).stdout.strip(),
    }


def median(xs):
    return statistics.median(xs) if xs else None


def ingest_summary(runs):
    by_rep = {}
    for r in runs:
        w = r["watch"]
        r["drain_seconds"] = w["t_end"] - w["t_first"]
        r["msgs_per_s"] = r["events"] / r["drain_seconds"]
        r["startup_seconds"] = w["t_first"] - r["t_spawn"]
        by_rep.setdefault(r["rep"], {})[r["kind"]] = r
    ratios = [reps["conductor"]["msgs_per_s"] / reps["raw"]["msgs_per_s"]
              for reps in by_rep.values() if "raw" in reps and "conductor" in reps]
    raw = [r for r in runs if r["kind"] == "raw"]
    cond = [r for r in runs if r["kind"] == "conductor"]
    return {
        "raw_msgs_per_s": median([r["msgs_per_s"] for r in raw]),
        "raw_msgs_per_s_own_timer": median([r["consumer"]["msgs_per_s"] for r in raw]),
        "conductor_msgs_per_s": median([r["msgs_per_s"] for r in cond]),
        "ratio_per_rep": ratios,
        "ratio": median(ratios),
        "conductor_startup_s": median([r["startup_seconds"] for r in cond]),
        "preload_msgs_per_s": median([r["preload"]["msgs_per_s"] for r in runs]),
        "conductor_rss_kb_after": median([r["memory_after"]["rss_kb"] for r in cond]),
        "conductor_hwm_kb_after": median([r["memory_after"]["hwm_kb"] for r in cond]),
        "db_checks_passed": all(r["db_workers"] > 0 and r["db_min_sequence"] == r["expected_sequence"]
                                and r["db_max_sequence"] == r["expected_sequence"]
                                and r["ready_after_close"] == 0 for r in cond),
        "db_workers": sorted({r["db_workers"] for r in cond}),
        # CPU per message over the drain (runs from before these were recorded have none).
        "raw_broker_us_per_msg": cpu_us_per_msg(raw, lambda r: r.get("broker_cpu_ms")),
        "raw_consumer_us_per_msg": cpu_us_per_msg(raw, lambda r: r["consumer"].get("cpu_ms")),
        "conductor_broker_us_per_msg": cpu_us_per_msg(cond, lambda r: r.get("broker_cpu_ms")),
        "conductor_consumer_us_per_msg": cpu_us_per_msg(cond, lambda r: r.get("consumer_cpu_ms")),
    }


def cpu_us_per_msg(runs, cpu_ms):
    values = [cpu_ms(r) * 1000 / r["events"] for r in runs if cpu_ms(r) is not None]
    return median(values) if values else None


def micro_summary(micro):
    rows = {}
    for b in micro["benchmarks"]:
        if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
            continue
        name = b.get("run_name", b["name"])
        scale = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[b["time_unit"]]
        items = b.get("items_per_second")
        rows[name] = {
            "name": name,
            # Per item (one message, one upsert), also where one iteration handles many.
            "ns_per_op": 1e9 / items if items else b["real_time"] * scale,
            "ns_per_iteration": b["real_time"] * scale,
            "cpu_ns_per_op": b["cpu_time"] * scale,
            "items_per_s": b.get("items_per_second"),
            "bytes": b.get("bytes"),
        }
    return list(rows.values())


def scale_summary(entries):
    out = []
    for e in entries:
        lg = e["loadgen"]
        samples = lg["samples"]
        cpu = [s["cpu_percent"] for s in samples[1:] if s["cpu_percent"] >= 0]
        broker = [s.get("broker_cpu_percent", -1) for s in samples[1:]]
        broker = [b for b in broker if b >= 0]
        own = [s.get("loadgen_cpu_percent", -1) for s in samples[1:]]
        own = [x for x in own if x >= 0]
        ready = [s["ready"] for s in samples]
        ts = [s["t"] for s in samples]
        slope = 0.0
        if len(samples) >= 3:
            mt, mr = statistics.mean(ts), statistics.mean(ready)
            den = sum((t - mt) ** 2 for t in ts)
            slope = sum((t - mt) * (r - mr) for t, r in zip(ts, ready)) / den if den else 0.0
        # Messages offered per second: check results plus heartbeats.
        offered = lg["rate_target"] + lg.get("heartbeat_rate", 0)
        # Growing lag: the backlog trends up by more than 1% of the offered
        # rate per second and ends above one second's worth of messages.
        grows = slope > 0.01 * offered and ready[-1] > offered
        db = e.get("db") or {}
        persisted = None
        if db:
            checks = lg.get("checks_per_worker", 1)
            persisted = (db.get("check_history") == lg["sent"] and db.get("workers") == lg["workers"]
                         and db.get("check_latest") == min(lg["sent"], lg["workers"] * checks))
        out.append({
            "kind": e.get("kind", "conductor"),
            "rate_target": lg["rate_target"],
            "rate_achieved": lg["rate_achieved"],
            "heartbeat_rate": lg.get("heartbeat_rate"),
            "heartbeat_rate_achieved": lg.get("heartbeat_rate_achieved"),
            "workers": lg["workers"],
            "seconds": lg["seconds"],
            "results_sent": lg["sent"],
            "register_applied_s": lg.get("register_applied_s"),
            "cpu_percent_mean": statistics.mean(cpu) if cpu else None,
            "cpu_percent_max": max(cpu) if cpu else None,
            "broker_cpu_percent_mean": statistics.mean(broker) if broker else None,
            "loadgen_cpu_percent_mean": statistics.mean(own) if own else None,
            "ready_max": max(ready) if ready else None,
            "ready_last": ready[-1] if ready else None,
            "ready_slope_per_s": slope,
            "lag_grows": grows,
            "drained_after_s": lg["drained_after_s"],
            "rss_kb_after": e["memory_after"]["rss_kb"],
            "db": db,
            "all_persisted": persisted,
            "samples": samples,
        })
    return out


def percentile(xs, p):
    if not xs:
        return None
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * len(xs)))]


def cases_summary(runs):
    for r in runs:
        if r["system"].startswith("baton"):
            r["seconds"] = r["t_done"] - r["t_start"]
            r["submit_seconds"] = r["submit"]["t_confirmed"] - r["submit"]["t_start"]
        else:
            r["seconds"] = r["drive"]["seconds"]
            r["submit_seconds"] = r["drive"]["t_submitted"] - r["drive"]["t_start"]
        r["per_s"] = r["cases"] / r["seconds"]
        cpu = r.get("cpu")
        if cpu:
            r["cpu_ms_per_case"] = {k[:-3]: v / r["cases"] for k, v in cpu.items() if k.endswith("_ms")}
    out = {}
    for workers in sorted({r["workers"] for r in runs}):
        rs = [r for r in runs if r["workers"] == workers]
        by_rep = {}
        for r in rs:
            by_rep.setdefault(r["rep"], {})[r["system"]] = r
        ratios = [v["baton"]["per_s"] / v["celery"]["per_s"] for v in by_rep.values() if "baton" in v and "celery" in v]
        baton = [r for r in rs if r["system"] == "baton"]

        def cpu(system, part):
            return median([r["cpu_ms_per_case"][part] for r in rs
                           if r["system"] == system and part in r.get("cpu_ms_per_case", {})])
        cpu_ratios = [v["celery"]["cpu_ms_per_case"]["total"] / v["baton"]["cpu_ms_per_case"]["total"]
                      for v in by_rep.values() if "baton" in v and "celery" in v
                      and "cpu_ms_per_case" in v["baton"] and "cpu_ms_per_case" in v["celery"]
                      and v["baton"]["cpu_ms_per_case"]["total"] > 0]
        out[str(workers)] = {
            "workers": workers,
            "baton_per_s": median([r["per_s"] for r in baton]),
            "celery_per_s": median([r["per_s"] for r in rs if r["system"] == "celery"]),
            "baton_submit_s": median([r["submit_seconds"] for r in baton]),
            "celery_submit_s": median([r["submit_seconds"] for r in rs if r["system"] == "celery"]),
            "ratio_per_rep": ratios,
            "ratio": median(ratios),
            "all_completed": all(r["completed"] == r["cases"] and r["finished_attempts"] == r["cases"] for r in baton),
            "history_rows_per_case": median([r["history_rows"] / r["cases"] for r in baton]),
            # Broker messages per case: SubmitCase, RunStep, StepFinished, and
            # StepStarted unless the StepFinished stood for it.
            "baton_messages_per_case": median([4 - r["starts_folded"] / r["cases"] for r in baton])
            if all("starts_folded" in r for r in baton) else None,
            # CPU milliseconds per case (user + sys from /proc/PID/stat, over the
            # run): the system's processes and their children, and the broker.
            "baton_cpu_ms_per_case": cpu("baton", "total"),
            "baton_broker_cpu_ms_per_case": cpu("baton", "broker"),
            "baton_conductor_cpu_ms_per_case": cpu("baton", "conductor"),
            "baton_workers_cpu_ms_per_case": cpu("baton", "workers"),
            "celery_cpu_ms_per_case": cpu("celery", "total"),
            "celery_broker_cpu_ms_per_case": cpu("celery", "broker"),
            "celery_workers_cpu_ms_per_case": cpu("celery", "workers"),
            # Celery's CPU per case over Baton's, per repetition: comparable to
            # the cases/s ratio when the machine's cores are what limits both.
            "cpu_ratio_per_rep": cpu_ratios,
            "cpu_ratio": median(cpu_ratios),
        }
        # Baton with broker.persistent_messages false, in the same repetitions.
        transient = [r for r in rs if r["system"] == "baton-transient"]
        if transient:
            t_ratios = [v["baton-transient"]["per_s"] / v["celery"]["per_s"] for v in by_rep.values()
                        if "baton-transient" in v and "celery" in v]
            out[str(workers)].update({
                "transient_per_s": median([r["per_s"] for r in transient]),
                "transient_ratio_per_rep": t_ratios,
                "transient_ratio": median(t_ratios),
                "transient_cpu_ms_per_case": cpu("baton-transient", "total"),
                "transient_broker_cpu_ms_per_case": cpu("baton-transient", "broker"),
                "transient_messages_per_case": median([4 - r["starts_folded"] / r["cases"] for r in transient]),
                "transient_all_completed": all(r["completed"] == r["cases"] and r["finished_attempts"] == r["cases"]
                                               for r in transient),
            })
    return out


def spawn_ceiling_summary(entries):
    rates = [e["spawnrate"] for e in entries]
    return {
        "per_s": median([r["per_s"] for r in rates]),
        "cpu_ms_per_spawn": median([r["cpu_ms_per_spawn"] for r in rates]),
        "parallel": rates[0]["parallel"],
        "count": rates[0]["count"],
        "program": rates[0]["program"],
        "runs": entries,
    }


def read_pairs(path):
    out = {}
    if not os.path.exists(path):
        return out
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2:
                out[parts[0]] = parts[1:]
    return out


def latency_stats(ms):
    return {"n": len(ms), "p50_ms": percentile(ms, 0.5), "p99_ms": percentile(ms, 0.99),
            "max_ms": max(ms) if ms else None, "mean_ms": statistics.mean(ms) if ms else None}


def latency_summary(results):
    out = {}
    sub = read_pairs(os.path.join(results, "latency-baton-submits.txt"))
    stamps = read_pairs(os.path.join(results, "latency-baton-stamps.txt"))
    job, started, dispatched = [], [], []
    for case_id, rest in stamps.items():
        if case_id not in sub:
            continue
        sent_ns = int(sub[case_id][0])
        # started_ms, dispatched_ms, created_ms, then the job's stdout tail,
        # where /bin/date +%s%N is the one 19-digit number.
        if rest[0].isdigit():
            started.append(int(rest[0]) - sent_ns / 1e6)
        if rest[1].isdigit():
            dispatched.append(int(rest[1]) - sent_ns / 1e6)
        ns = [int(w) for w in rest[3:] if w.isdigit() and len(w) == 19]
        if ns:
            job.append((ns[-1] - sent_ns) / 1e6)
    out["baton_job"] = latency_stats(job)
    out["baton_step_started"] = latency_stats(started)
    out["baton_dispatched"] = latency_stats(dispatched)
    sub = read_pairs(os.path.join(results, "latency-celery-submits.txt"))
    stamps = read_pairs(os.path.join(results, "latency-celery-stamps.txt"))
    cel = [(int(stamps[k][0]) - int(v[0])) / 1e6 for k, v in sub.items() if k in stamps]
    out["celery_job"] = latency_stats(cel)
    for key, name in (("raw_two_hop", "latency-raw.json"), ("job_start", "latency-job-start.json")):
        path = os.path.join(results, name)
        if os.path.exists(path):
            with open(path) as f:
                out[key] = json.load(f)
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--results")
    p.add_argument("--out-md", required=True)
    p.add_argument("--out-json")
    # Renders the page again from a run's JSON (after a change to the text),
    # e.g. --from-json docs/benchmarks/latest.json; the figures stay that run's.
    p.add_argument("--from-json")
    p.add_argument("--quick", type=int, default=0)
    p.add_argument("--reps", type=int, default=1)
    p.add_argument("--events", type=int, default=0)
    p.add_argument("--workers", type=int, default=200)
    p.add_argument("--scale-seconds", type=int, default=0)
    p.add_argument("--commit", default="unknown")
    p.add_argument("--rabbitmq", default="unknown")
    p.add_argument("--build-seconds", type=int, default=0)
    p.add_argument("--bench-seconds", type=int, default=0)
    p.add_argument("--cases", type=int, default=0)
    p.add_argument("--case-slots", type=int, default=0)
    p.add_argument("--latency-interval-ms", type=int, default=0)
    p.add_argument("--only", default="")
    p.add_argument("--command", default="bench/run.sh")
    # Re-rendering an earlier run's results keeps that run's date.
    p.add_argument("--date", default="")
    # Earlier runs' JSON files (label=path), shown as before/after.
    p.add_argument("--history", action="append", default=[])
    a = p.parse_args()

    def optional(name, load):
        path = os.path.join(a.results, name)
        return load(path) if os.path.exists(path) else None

    def load_json(path):
        with open(path) as f:
            return json.load(f)

    history = []
    for item in a.history:
        label, path = item.split("=", 1)
        if os.path.exists(path):
            history.append({"label": label, "doc": load_json(path)})
    # Oldest first; the date is "YYYY-MM-DD HH:MM TZ", so it sorts as text.
    history.sort(key=lambda h: h["doc"].get("date", ""))

    if a.from_json:
        with open(a.out_md, "w") as f:
            f.write(render(load_json(a.from_json), history))
        return

    runs = optional("ingest.jsonl", read_jsonl) or []
    micro = optional("micro.json", load_json)
    cases = optional("cases.jsonl", read_jsonl) or []
    spawnrate = optional("spawnrate.jsonl", read_jsonl) or []
    doc = {
        "date": a.date or datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "command": a.command,
        "mode": "quick" if a.quick else "full",
        "machine": machine(),
        "rabbitmq": a.rabbitmq,
        "commit": a.commit,
        "reps": a.reps,
        "events": a.events,
        "workers": a.workers,
        "scale_seconds": a.scale_seconds,
        "build_seconds": a.build_seconds,
        "bench_seconds": a.bench_seconds,
        "only": a.only,
        "cases_per_run": a.cases,
        "case_slots": a.case_slots,
        "latency_interval_ms": a.latency_interval_ms,
        "load": optional("load.jsonl", read_jsonl) or [],
        "ingest": {"summary": ingest_summary(runs), "runs": runs} if runs else None,
        "cases": {"summary": cases_summary(cases), "runs": cases} if cases else None,
        "spawn_ceiling": spawn_ceiling_summary(spawnrate) if spawnrate else None,
        "latency": latency_summary(a.results) if os.path.exists(os.path.join(a.results, "latency-raw.json")) else None,
        "footprint": optional("footprint.json", load_json),
        "big_db": optional("bigdb.json", load_json),
        "worker_smaps": {v: optional(f"worker-smaps-{v}.txt", lambda p: open(p).read().splitlines())
                         for v in ("default", "arena1")},
        "micro": micro_summary(micro) if micro else None,
        "micro_context": micro.get("context", {}) if micro else {},
        "scale": scale_summary(optional("scale.jsonl", read_jsonl) or []),
    }
    os.makedirs(os.path.dirname(os.path.abspath(a.out_json)), exist_ok=True)
    with open(a.out_json, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    with open(a.out_md, "w") as f:
        f.write(render(doc, history))


if __name__ == "__main__":
    main()
