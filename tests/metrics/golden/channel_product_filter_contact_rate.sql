WITH reasons_src AS (SELECT reason, bool_or(coalesce(preventable, false)) AS preventable, bool_or(coalesce(external, false)) AS external FROM (SELECT * FROM reasons) GROUP BY reason),
root_causes_src AS (SELECT * FROM root_causes),
buckets AS (
SELECT bucket, bucket_end, CAST(bucket_end AS TIMESTAMP) + INTERVAL 1 DAY AS bucket_end_ts
FROM (SELECT CAST($start_date AS DATE) AS bucket, CAST($end_date AS DATE) AS bucket_end)),
period_contacts AS (
SELECT CAST($start_date AS DATE) AS bucket
FROM contacts c
WHERE c.created_at >= $start_ts AND c.created_at < $end_ts AND c.channel = ANY($f_channel) AND c.product = ANY($f_product)),
cm AS (
SELECT bucket, contacts
FROM (SELECT bucket, count(*) AS contacts FROM period_contacts GROUP BY ALL)),
po AS (
SELECT CAST($start_date AS DATE) AS bucket, sum(o.orders) AS orders
FROM orders_daily o
WHERE o.day >= $start_date AND o.day <= $end_date AND o.product = ANY($f_product)
GROUP BY ALL),
rb_first AS (
SELECT CAST($start_date AS DATE) AS bucket, o.customer_id,
       min(o.ordered_at) AS o_at, min(o.next_ordered_at) AS nxt
FROM orders o
WHERE o.ordered_at >= $start_ts AND o.ordered_at < $end_ts AND o.customer_id IS NOT NULL
  AND o.product = ANY($f_product)
GROUP BY ALL),
rb_contacted AS (
SELECT DISTINCT CAST($start_date AS DATE) AS bucket, c.customer_id
FROM contacts c
WHERE c.created_at >= $start_ts AND c.created_at < $end_ts AND c.customer_id IS NOT NULL),
repurchase_baseline AS (
SELECT f.bucket,
       avg(coalesce(f.nxt <= f.o_at + INTERVAL 90 DAY, false)::DOUBLE) AS repurchase_baseline_90d,
       count(*) AS customers
FROM rb_first f
WHERE NOT EXISTS (SELECT 1 FROM rb_contacted k
                  WHERE k.bucket = f.bucket AND k.customer_id = f.customer_id)
GROUP BY ALL),
keys AS (SELECT bucket FROM buckets)
SELECT k.bucket, coalesce(cm.contacts, 0) AS contacts, 1000.0 * coalesce(cm.contacts, 0) / NULLIF(po.orders, 0) AS contact_rate, rb.repurchase_baseline_90d AS repurchase_baseline_90d
FROM keys k
LEFT JOIN cm ON cm.bucket = k.bucket
LEFT JOIN po ON po.bucket = k.bucket
LEFT JOIN repurchase_baseline rb ON rb.bucket = k.bucket
ORDER BY bucket NULLS LAST
