"""The Celery side of Baton's benchmarks: the same job as Baton's (/bin/true,
or /bin/date +%s%N to stamp when the job process ran), reported through a
side channel (one line appended per task to a file) instead of a result
backend, so Celery does no more than Baton's worker is asked to do.

Run with Debian's python3-celery: /usr/bin/python3 -m celery -A bench_tasks worker ...
The broker URL comes from BENCH_CELERY_BROKER.
"""

import os
import subprocess

from celery import Celery

app = Celery("bench_tasks", broker=os.environ["BENCH_CELERY_BROKER"])
app.conf.update(
    task_serializer="json",
    accept_content=["json"],
    task_ignore_result=True,
    worker_hijack_root_logger=False,
    broker_connection_retry_on_startup=True,
)


def _append(path, line):
    # One write of a short line with O_APPEND: lines from the pool's processes never interleave.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (line + "\n").encode())
    finally:
        os.close(fd)


@app.task(name="bench.run_true")
def run_true(done_path, case_id):
    subprocess.run(["/bin/true"], check=True)
    _append(done_path, case_id)


@app.task(name="bench.stamp")
def stamp(out_path, case_id):
    out = subprocess.run(["/bin/date", "+%s%N"], check=True, capture_output=True, text=True).stdout.strip()
    _append(out_path, f"{case_id} {out}")
