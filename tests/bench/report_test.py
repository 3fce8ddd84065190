#!/usr/bin/env python3
"""The benchmark's report on every test run: bench/report.py reading a run's raw
latency results, bench/report_md.py rendering the published run with its
history, and baton-bench-amqp's one broker-free measurement (spawnlat). The
benchmark itself is not run here (bench/run.sh; it takes ten minutes).

usage: report_test.py PATH_TO_BATON_BENCH_AMQP [unittest arguments]
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "bench"))

import report  # noqa: E402
import report_md  # noqa: E402

BENCH_TOOL = None


def write(directory, name, text):
    with open(os.path.join(directory, name), "w") as f:
        f.write(text)


class LatencySummaryTest(unittest.TestCase):
    def test_each_line_of_the_table_comes_from_its_own_file(self):
        with tempfile.TemporaryDirectory() as d:
            # Submit times in ns; then started_ms, dispatched_ms, created_ms and
            # the job's output tail, where the date stamp is the 19-digit word.
            write(d, "latency-baton-submits.txt",
                  "lat-1 1700000000000000000\nlat-2 1700000000100000000\nlat-3 1700000000200000000\n")
            write(d, "latency-baton-stamps.txt",
                  "lat-1 1700000000004 1700000000001 1700000000000 1700000000004500000\n"
                  "lat-2 1700000000106 1700000000102 1700000000100 warming 12345 1700000000105000000\n"
                  "lat-3 1700000000203 1700000000201 1700000000200 1700000000203000000\n"
                  "not-submitted 1 1 1 1700000000000000000\n")
            write(d, "latency-celery-submits.txt", "c-1 1700000000000000000\nc-2 1700000000100000000\n")
            write(d, "latency-celery-stamps.txt", "c-1 1700000000006000000\nc-2 1700000000108000000\n")
            write(d, "latency-raw.json", '{"count": 2, "p50_ms": 1.25, "p99_ms": 2.5, "max_ms": 2.5}\n')
            write(d, "latency-job-start.json",
                  '{"count": 2, "p50_ms": 1.5, "p99_ms": 2.0, "max_ms": 2.0, "mean_ms": 1.75}\n')

            lat = report.latency_summary(d)

        self.assertEqual(lat["baton_job"]["n"], 3)
        self.assertAlmostEqual(lat["baton_job"]["p50_ms"], 4.5)
        self.assertAlmostEqual(lat["baton_job"]["max_ms"], 5.0)
        self.assertAlmostEqual(lat["baton_dispatched"]["p50_ms"], 1.0)
        self.assertAlmostEqual(lat["baton_step_started"]["max_ms"], 6.0)
        self.assertEqual(lat["celery_job"]["n"], 2)
        self.assertAlmostEqual(lat["celery_job"]["max_ms"], 8.0)
        self.assertEqual(lat["raw_two_hop"]["p50_ms"], 1.25)
        self.assertEqual(lat["job_start"]["p50_ms"], 1.5)

    @staticmethod
    def latency_page(baton_p50, with_job_start=True):
        """The latency section of a run: broker hops 1.25 ms and the job's start 1.5 ms at p50."""
        lat = {"baton_job": {"n": 3, "p50_ms": baton_p50, "p99_ms": 5.0, "max_ms": 5.0, "mean_ms": baton_p50 + 0.1},
               "raw_two_hop": {"count": 2, "p50_ms": 1.25, "p99_ms": 2.5, "max_ms": 2.5}}
        if with_job_start:
            lat["job_start"] = {"count": 2, "p50_ms": 1.5, "p99_ms": 2.0, "max_ms": 2.0, "mean_ms": 1.75}
        return "\n".join(report_md.render_latency({"latency_interval_ms": 100, "latency": lat}))

    def test_the_page_splits_batons_p50_into_broker_job_start_and_the_rest(self):
        page = self.latency_page(4.5)

        self.assertIn("| the job's start alone: `posix_spawn` → `/bin/date` reads the clock, no broker | 1.50 ms "
                      "| 2.00 ms | 2.00 ms | 1.75 ms |", page)
        self.assertIn("1.25 + 1.50 = 2.75 ms of Baton's 4.50 ms", page)
        self.assertIn("the other 1.75 ms are the rest", page)

    def test_parts_as_large_as_the_whole_are_not_split(self):
        page = self.latency_page(2.5)

        self.assertIn("= 2.75 ms, as much as Baton's whole 2.50 ms", page)
        self.assertNotIn("the other -", page)

    def test_a_run_without_the_job_start_file_still_renders(self):
        page = self.latency_page(4.5, with_job_start=False)

        self.assertIn("no broker | n/a | n/a | n/a | n/a |", page)
        self.assertNotIn("ms of Baton's", page)


class PublishedPageTest(unittest.TestCase):
    def test_the_published_run_renders_with_every_history_column(self):
        history_dir = os.path.join(ROOT, "docs", "benchmarks", "history")
        labels = sorted(name[:-5] for name in os.listdir(history_dir) if name.endswith(".json"))
        self.assertTrue(labels, "no history runs under docs/benchmarks/history")
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "BENCHMARKS.md")
            args = [sys.executable, os.path.join(ROOT, "bench", "report.py"), "--from-json",
                    os.path.join(ROOT, "docs", "benchmarks", "latest.json"), "--out-md", out]
            for label in labels:
                args += ["--history", f"{label}={os.path.join(history_dir, label + '.json')}"]
            subprocess.run(args, check=True)
            with open(out) as f:
                page = f.read()

        for heading in ("## Summary", "## Event ingest", "## Case throughput end to end", "## Dispatch latency",
                        "## Footprint", "## Before / after", "## How to reproduce"):
            self.assertIn(heading, page)
        for row in ("| event ingest, conductor / raw rabbitmq-c |", "| idle worker VmRSS |",
                    "| dispatch latency p99 at low load, submit → job process runs |",
                    "| the job's start alone: `posix_spawn` → `/bin/date` reads the clock, no broker |"):
            self.assertIn(row, page)
        self.assertIn("ms of Baton's", page, "the p50 split of the published run")
        header = next(line for line in page.splitlines()
                      if line.startswith("| measure |") and line.endswith("| this run |"))
        for label in labels:
            self.assertIn(f"| {label} |", header + "|")


class SpawnLatencyToolTest(unittest.TestCase):
    def test_spawnlat_reports_ordered_percentiles_of_real_starts(self):
        out = subprocess.run([BENCH_TOOL, "spawnlat", "--count", "5", "--interval-ms", "0"], check=True,
                             capture_output=True, text=True).stdout

        result = json.loads(out)

        self.assertEqual(result["count"], 5)
        # A real start and exec, timed in milliseconds: more than 50 µs, less than a second.
        self.assertGreater(result["p50_ms"], 0.05)
        self.assertLess(result["p50_ms"], 1000)
        self.assertLessEqual(result["p50_ms"], result["p99_ms"])
        self.assertLessEqual(result["p99_ms"], result["max_ms"])
        self.assertLessEqual(result["mean_ms"], result["max_ms"])


if __name__ == "__main__":
    if len(sys.argv) < 2 or not os.access(sys.argv[1], os.X_OK):
        sys.exit(__doc__)
    BENCH_TOOL = sys.argv.pop(1)
    unittest.main()
