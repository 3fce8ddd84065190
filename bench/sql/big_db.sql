-- Fills a conductor database (schema already created by the conductor) with
-- N cases (N - 1000 COMPLETED, 500 FAILED, 500 QUEUED) of the one-step
-- bench_true workflow, each with its history and step attempt, and 200
-- workers, all offline, with a heartbeat's worth of resources each.
-- N is set on the next line (bench/run.sh rewrites it for --quick).
CREATE TEMP TABLE bench_params AS SELECT 100000 AS cases;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 199)
INSERT INTO workers (id, hostname, version, labels, slots, free_slots, heartbeat_interval_ms, status,
                     first_seen_ms, last_seen_ms, status_changed_ms, last_sequence, offline_reason, resources, gpus)
SELECT printf('bench-w%04d', i), printf('host-%04d', i), '0.1.0', '["bench"]', 8, 8, 5000, 'offline',
       1700000000000, 1700000000000 + 3600000, 1700000000000 + 3600000, 720, 'heartbeats stopped',
       '{"cpu_percent": 12.5, "memory_total_bytes": 34359738368, "disks": [{"path": "/", "total_bytes": 536870912000}]}',
       '[]'
FROM n;

WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < (SELECT cases FROM bench_params))
INSERT INTO cases (id, seq, workflow, params, status, current_step, attempt, worker_id, message, created_ms, updated_ms)
SELECT printf('c-%06d', i), i, 'bench_true', '{}',
       CASE WHEN i > N - 500 THEN 'QUEUED' WHEN i > N - 1000 THEN 'FAILED' ELSE 'COMPLETED' END,
       0, CASE WHEN i > N - 500 THEN 0 ELSE 1 END, CASE WHEN i > N - 500 THEN '' ELSE printf('bench-w%04d', i % 200) END,
       CASE WHEN i > N - 1000 AND i <= N - 500 THEN 'step run failed: exit code 1' ELSE '' END,
       1700000000000 + i * 10, 1700000000000 + i * 10 + 40
FROM n, (SELECT cases AS N FROM bench_params);

INSERT INTO step_attempts (case_id, step, attempt, step_name, worker_id, status, slots, pid, exit_code, message,
                           output_tail, dispatched_ms, started_ms, finished_ms)
SELECT id, 0, 1, 'run', worker_id, CASE status WHEN 'FAILED' THEN 'FAILED' ELSE 'SUCCEEDED' END, 1, 10000 + seq % 50000,
       CASE status WHEN 'FAILED' THEN 1 ELSE 0 END, '', '', created_ms + 2, created_ms + 5, created_ms + 30
FROM cases WHERE status != 'QUEUED';

INSERT INTO case_history (case_id, at_ms, status, step, attempt, worker_id, message)
SELECT id, created_ms, 'QUEUED', 0, 0, '', 'submitted' FROM cases;
INSERT INTO case_history (case_id, at_ms, status, step, attempt, worker_id, message)
SELECT id, created_ms + 2, 'PROCESSING', 0, 1, worker_id, '' FROM cases WHERE status != 'QUEUED';
INSERT INTO case_history (case_id, at_ms, status, step, attempt, worker_id, message)
SELECT id, created_ms + 5, 'EXECUTING', 0, 1, worker_id, '' FROM cases WHERE status != 'QUEUED';
INSERT INTO case_history (case_id, at_ms, status, step, attempt, worker_id, message)
SELECT id, created_ms + 30, status, 0, 1, worker_id, message FROM cases WHERE status != 'QUEUED';
COMMIT;
