"""Submits tasks to the Celery workers of bench_tasks and times them.

  drive.py throughput --count N --done FILE     submit N run_true, wait for N lines in FILE
  drive.py latency --count N --interval-ms M --stamps FILE --out FILE
      submit one stamp task every M ms, writing "id submit_ns" lines to --out

Prints one JSON object. Run with /usr/bin/python3 (Debian's celery).
"""

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_tasks  # noqa: E402


def count_lines(path):
    try:
        with open(path, "rb") as f:
            return sum(1 for _ in f)
    except FileNotFoundError:
        return 0


def wait_lines(path, n, timeout):
    deadline = time.time() + timeout
    while True:
        have = count_lines(path)
        if have >= n:
            return time.time()
        if time.time() > deadline:
            sys.exit(f"drive.py: only {have} of {n} tasks done after {timeout} s")
        time.sleep(0.01)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["throughput", "latency"])
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--done")
    p.add_argument("--stamps")
    p.add_argument("--out")
    p.add_argument("--interval-ms", type=float, default=20)
    p.add_argument("--timeout", type=float, default=600)
    a = p.parse_args()

    # Connect before the clock starts, as baton-bench-amqp does.
    with bench_tasks.app.connection_for_write() as conn:
        conn.ensure_connection()
        producer = bench_tasks.app.amqp.Producer(conn)
        if a.mode == "throughput":
            t0 = time.time()
            for i in range(a.count):
                bench_tasks.run_true.apply_async((a.done, f"t-{i}"), producer=producer)
            t_submitted = time.time()
            t_done = wait_lines(a.done, a.count, a.timeout)
            print(json.dumps({"count": a.count, "t_start": t0, "t_submitted": t_submitted, "t_done": t_done,
                              "seconds": t_done - t0, "per_s": a.count / (t_done - t0)}))
        else:
            with open(a.out, "w") as out:
                for i in range(a.count):
                    case_id = f"l-{i}"
                    sent = time.time_ns()
                    bench_tasks.stamp.apply_async((a.stamps, case_id), producer=producer)
                    out.write(f"{case_id} {sent}\n")
                    time.sleep(a.interval_ms / 1000)
            wait_lines(a.stamps, a.count, a.timeout)
            print(json.dumps({"count": a.count}))


if __name__ == "__main__":
    main()
