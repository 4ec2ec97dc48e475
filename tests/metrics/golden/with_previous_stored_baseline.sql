WITH reasons_src AS (SELECT reason, bool_or(coalesce(preventable, false)) AS preventable, bool_or(coalesce(external, false)) AS external FROM (SELECT * FROM reasons) GROUP BY reason),
root_causes_src AS (SELECT * FROM root_causes),
buckets AS (
SELECT bucket, bucket_end, CAST(bucket_end AS TIMESTAMP) + INTERVAL 1 DAY AS bucket_end_ts
FROM (SELECT CAST($start_date AS DATE) AS bucket, CAST($split_date AS DATE) - 1 AS bucket_end UNION ALL SELECT CAST($split_date AS DATE), CAST($end_date AS DATE))),
period_contacts AS (
SELECT CASE WHEN c.created_at >= $split_ts THEN CAST($split_date AS DATE) ELSE CAST($start_date AS DATE) END AS bucket
FROM contacts c
WHERE c.created_at >= $start_ts AND c.created_at < $end_ts AND true),
cm AS (
SELECT bucket, contacts
FROM (SELECT bucket, count(*) AS contacts FROM period_contacts GROUP BY ALL)),
repurchase_baseline AS (
SELECT period_start AS bucket, repurchase_baseline_90d, customers
FROM repurchase_baselines WHERE (period_start = $start_date AND period_end = CAST($split_date AS DATE) - 1 AND as_of = $asof_date) OR (period_start = $split_date AND period_end = $end_date AND as_of IS NULL)),
keys AS (SELECT bucket FROM buckets)
SELECT k.bucket, coalesce(cm.contacts, 0) AS contacts, rb.repurchase_baseline_90d AS repurchase_baseline_90d
FROM keys k
LEFT JOIN cm ON cm.bucket = k.bucket
LEFT JOIN repurchase_baseline rb ON rb.bucket = k.bucket
ORDER BY bucket NULLS LAST
