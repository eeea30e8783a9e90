-- A replayed epoch (a retried job) logged its metrics again: keep one row per (run, key, step),
-- the latest logged (latest timestamp, then highest id), before the next migration makes the key unique.
DELETE FROM "run_metrics" AS m
USING "run_metrics" AS newer
WHERE m."run_id" = newer."run_id"
  AND m."key" = newer."key"
  AND m."step" = newer."step"
  AND (m."timestamp", m."id") < (newer."timestamp", newer."id");
