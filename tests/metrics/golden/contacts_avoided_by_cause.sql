WITH reasons_src AS (SELECT reason, bool_or(coalesce(preventable, false)) AS preventable, bool_or(coalesce(external, false)) AS external FROM (SELECT * FROM reasons) GROUP BY reason),
root_causes_src AS (SELECT * FROM root_causes),
buckets AS (
SELECT bucket, bucket_end, CAST(bucket_end AS TIMESTAMP) + INTERVAL 1 DAY AS bucket_end_ts
FROM (SELECT CAST($start_date AS DATE) AS bucket, CAST($end_date AS DATE) AS bucket_end)),
av_causes AS (
SELECT DISTINCT cause_id, fixed_on FROM root_causes_src
WHERE status = 'eliminated' AND fixed_on IS NOT NULL),
av_reasons AS (
SELECT DISTINCT cause_id, fixed_on, reason
FROM (SELECT cause_id, fixed_on, unnest(reasons) AS reason FROM root_causes_src
      WHERE status = 'eliminated' AND fixed_on IS NOT NULL)),
av_windows AS (
SELECT b.bucket, b.bucket_end, a.cause_id, greatest(a.fixed_on, b.bucket) AS w_start
FROM buckets b JOIN av_causes a ON a.fixed_on <= b.bucket_end),
av_actual AS (
SELECT w.bucket, w.cause_id, count(*) AS n
FROM av_windows w JOIN av_reasons cr ON cr.cause_id = w.cause_id
JOIN contacts c ON coalesce(c.driver, c.reason, 'Unknown') = cr.reason
  AND c.created_at >= CAST(w.w_start AS TIMESTAMP)
  AND c.created_at < CAST(w.bucket_end AS TIMESTAMP) + INTERVAL 1 DAY
WHERE c.created_at >= $start_ts AND c.created_at < $end_ts AND c.channel = ANY($f_channel)
GROUP BY ALL),
av_base AS (
SELECT cr.cause_id, count(*) AS n
FROM av_reasons cr JOIN contacts c ON coalesce(c.driver, c.reason, 'Unknown') = cr.reason
  AND c.created_at >= CAST(cr.fixed_on AS TIMESTAMP) - INTERVAL 56 DAY
  AND c.created_at < CAST(cr.fixed_on AS TIMESTAMP)
WHERE c.created_at < $end_ts AND c.channel = ANY($f_channel)
GROUP BY ALL),
av_keys AS (
SELECT cause_id FROM av_base UNION SELECT cause_id FROM av_actual),
av_terms AS (
SELECT w.bucket, w.bucket_end, w.w_start, w.cause_id,
       coalesce(bs.n, 0) AS base_n, coalesce(ac.n, 0) AS actual_n
FROM av_windows w JOIN av_keys k ON k.cause_id = w.cause_id
LEFT JOIN av_base bs ON bs.cause_id = w.cause_id
LEFT JOIN av_actual ac ON ac.bucket = w.bucket AND ac.cause_id = w.cause_id),
av_ow AS (
SELECT w.bucket, w.cause_id, sum(o.orders) AS n
FROM av_windows w JOIN orders_daily o ON o.day >= w.w_start AND o.day <= w.bucket_end
WHERE true GROUP BY ALL),
av_ob AS (
SELECT a.cause_id, sum(o.orders) AS n
FROM av_causes a JOIN orders_daily o
  ON o.day >= a.fixed_on - INTERVAL 56 DAY AND o.day < a.fixed_on
WHERE true GROUP BY ALL),
av_cause AS (
SELECT t.bucket, t.cause_id, t.w_start, t.bucket_end AS w_end, t.base_n,
       t.actual_n, coalesce(ow.n, 0) AS orders_w, coalesce(ob.n, 0) AS orders_base, CASE WHEN coalesce(ob.n, 0) > 0 THEN coalesce(ow.n, 0)::DOUBLE / ob.n ELSE (date_diff('day', t.w_start, t.bucket_end) + 1) / 56.0 END AS scale
FROM av_terms t
LEFT JOIN av_ow ow ON ow.bucket = t.bucket AND ow.cause_id = t.cause_id
LEFT JOIN av_ob ob ON ob.cause_id = t.cause_id),
av AS (
SELECT bucket, sum(base_n * scale - actual_n) AS contacts_avoided
FROM av_cause GROUP BY ALL),
av_q AS (SELECT DISTINCT bucket FROM av_windows)
SELECT cause_id, w_start, w_end, base_n, actual_n, orders_w, orders_base, scale, base_n * scale AS expected, base_n * scale - actual_n AS avoided FROM av_cause ORDER BY cause_id
