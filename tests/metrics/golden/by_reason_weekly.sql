WITH reasons_src AS (SELECT reason, bool_or(coalesce(preventable, false)) AS preventable, bool_or(coalesce(external, false)) AS external FROM (SELECT * FROM reasons) GROUP BY reason),
root_causes_src AS (SELECT * FROM root_causes),
buckets AS (
SELECT bucket, bucket_end, CAST(bucket_end AS TIMESTAMP) + INTERVAL 1 DAY AS bucket_end_ts
FROM (SELECT greatest(CAST(g AS DATE), $start_date) AS bucket,
       least(CAST(g + INTERVAL 1 week AS DATE) - 1, $end_date) AS bucket_end
FROM generate_series(CAST(date_trunc('week', $start_date) AS TIMESTAMP),
                     CAST($end_date AS TIMESTAMP), INTERVAL 1 week) AS t(g))),
sla_now AS (SELECT greatest(max(created_at), max(first_response_at), max(resolved_at)) AS t FROM contacts),
period_contacts AS (
SELECT greatest(CAST(date_trunc('week', c.created_at) AS DATE), $start_date) AS bucket, coalesce(c.driver, c.reason, 'Unknown') AS reason,
  c.customer_id AS customer_id,
  c.resolved_at AS resolved_at,
  coalesce(c.reopens, 0) AS reopens,
  coalesce(c.transfers, 0) AS transfers,
  coalesce(c.escalated, false) AS escalated,
  coalesce(c.self_served, false) AS self_served,
  c.first_contact_resolved AS first_contact_resolved,
  c.csat AS csat,
  c.ces AS ces,
  (c.resolved_at IS NOT NULL OR coalesce(lower(trim(c.status)) = ANY($resolved_statuses), false)) AS is_resolved,
  coalesce(c.customer_id IS NOT NULL AND c.next_contact_at <= c.created_at + $repeat_window, false) AS is_repeat,
  coalesce(r.preventable, false) AS preventable,
  coalesce(r.external, false) AS external,
  date_diff('microsecond', c.created_at, c.first_response_at) / 3600000000.0 AS first_response_hours,
  date_diff('microsecond', c.created_at, c.resolved_at) / 3600000000.0 AS resolution_hours,
  c.first_response_business_seconds / 3600.0 AS first_response_business_hours,
  c.resolution_business_seconds / 3600.0 AS resolution_business_hours,
  (CASE WHEN c.first_response_target_seconds IS NULL THEN NULL
      WHEN c.first_response_due_at IS NULL THEN CASE WHEN c.first_response_at IS NOT NULL THEN 'achieved' ELSE 'running' END
      WHEN c.first_response_at IS NOT NULL THEN CASE WHEN c.first_response_at <= c.first_response_due_at THEN 'achieved' ELSE 'breached' END
      WHEN c.first_response_due_at < (SELECT t FROM sla_now) THEN 'breached'
      ELSE 'running' END) AS sla_first_response,
  (CASE WHEN c.resolution_target_seconds IS NULL THEN NULL
      WHEN c.resolution_due_at IS NULL THEN CASE WHEN c.resolved_at IS NOT NULL THEN 'achieved' ELSE 'running' END
      WHEN c.resolved_at IS NOT NULL THEN CASE WHEN c.resolved_at <= c.resolution_due_at THEN 'achieved' ELSE 'breached' END
      WHEN c.resolution_due_at < (SELECT t FROM sla_now) THEN 'breached'
      ELSE 'running' END) AS sla_resolution,
  coalesce(NOT (c.resolved_at IS NOT NULL OR coalesce(lower(trim(c.status)) = ANY($resolved_statuses), false)) AND CASE WHEN c.first_response_at IS NULL AND c.first_response_due_at IS NOT NULL THEN c.first_response_at_risk_from <= (SELECT t FROM sla_now) AND c.first_response_due_at >= (SELECT t FROM sla_now) ELSE c.resolution_at_risk_from <= (SELECT t FROM sla_now) AND c.resolution_due_at >= (SELECT t FROM sla_now) END, false) AS sla_at_risk,
  c.next_order_after_resolved_at AS next_order_after_resolved_at
FROM contacts c LEFT JOIN reasons_src r ON r.reason = coalesce(c.driver, c.reason, 'Unknown')
WHERE c.created_at >= $start_ts AND c.created_at < $end_ts AND true),
cm AS (
SELECT bucket, reason, contacts, repeat_contact_rate, self_service_rate, preventable_share, external_share, resolution_rate, fcr_rate, reopen_rate, csat, csat_response_rate, ces_avg, transfer_rate, escalation_rate, happy_rate, sla_first_response_rate, sla_resolution_rate, sla_breaches, sla_running, sla_at_risk, _q0[1] AS first_response_hours_median, _q0[2] AS first_response_hours_p90, _q1[1] AS resolution_hours_median, _q1[2] AS resolution_hours_p90, _q2[1] AS first_response_business_hours_median, _q2[2] AS first_response_business_hours_p90, _q3[1] AS resolution_business_hours_median, _q3[2] AS resolution_business_hours_p90
FROM (SELECT bucket, reason, count(*) AS contacts, avg(is_repeat::DOUBLE) FILTER (WHERE customer_id IS NOT NULL) AS repeat_contact_rate, avg(self_served::DOUBLE) AS self_service_rate, avg(preventable::DOUBLE) AS preventable_share, avg(external::DOUBLE) AS external_share, avg(is_resolved::DOUBLE) AS resolution_rate, avg((coalesce(first_contact_resolved, reopens = 0 AND transfers = 0 AND NOT is_repeat))::DOUBLE) FILTER (WHERE is_resolved) AS fcr_rate, avg((reopens > 0)::DOUBLE) FILTER (WHERE is_resolved) AS reopen_rate, avg((csat >= 4)::DOUBLE) AS csat, count(csat) FILTER (WHERE is_resolved) / NULLIF(count(*) FILTER (WHERE is_resolved), 0) AS csat_response_rate, avg(ces) AS ces_avg, avg((transfers >= 1)::DOUBLE) AS transfer_rate, avg(escalated::DOUBLE) AS escalation_rate, avg((is_resolved AND (CASE WHEN is_resolved THEN coalesce(resolution_hours <= $happy_hours, false) END) AND transfers <= 1 AND reopens = 0 AND (csat IS NULL OR csat >= 4))::DOUBLE) AS happy_rate, (count(*) FILTER (WHERE sla_first_response = 'achieved'))::DOUBLE / nullif(count(*) FILTER (WHERE sla_first_response IN ('achieved', 'breached')), 0) AS sla_first_response_rate, (count(*) FILTER (WHERE sla_resolution = 'achieved'))::DOUBLE / nullif(count(*) FILTER (WHERE sla_resolution IN ('achieved', 'breached')), 0) AS sla_resolution_rate, count(*) FILTER (WHERE sla_first_response = 'breached' OR sla_resolution = 'breached') AS sla_breaches, count(*) FILTER (WHERE (sla_first_response = 'running' OR sla_resolution = 'running') AND coalesce(sla_first_response, '') <> 'breached' AND coalesce(sla_resolution, '') <> 'breached') AS sla_running, count(*) FILTER (WHERE sla_at_risk) AS sla_at_risk, quantile_cont(first_response_hours, [0.5, 0.9]) AS _q0, quantile_cont(resolution_hours, [0.5, 0.9]) AS _q1, quantile_cont(first_response_business_hours, [0.5, 0.9]) AS _q2, quantile_cont(resolution_business_hours, [0.5, 0.9]) AS _q3 FROM period_contacts GROUP BY ALL)),
po AS (
SELECT greatest(CAST(date_trunc('week', o.day) AS DATE), $start_date) AS bucket, sum(o.orders) AS orders
FROM orders_daily o
WHERE o.day >= $start_date AND o.day <= $end_date AND true
GROUP BY ALL),
bl AS (
SELECT b.bucket, coalesce(c.driver, c.reason, 'Unknown') AS reason, count(*) AS backlog
FROM contacts c JOIN buckets b
  ON c.created_at < b.bucket_end_ts AND coalesce(c.resolved_at, TIMESTAMP '9999-12-31 00:00:00') >= b.bucket_end_ts
WHERE c.created_at < $end_ts AND (c.resolved_at IS NULL OR c.resolved_at >= $start_ts)
  AND NOT (c.resolved_at IS NULL AND coalesce(lower(trim(c.status)) = ANY($resolved_statuses), false)) AND true
GROUP BY ALL),
ra_c AS (
SELECT bucket, reason, customer_id, min(resolved_at) AS r,
       min(next_order_after_resolved_at) AS nxt
FROM period_contacts WHERE resolved_at IS NOT NULL AND customer_id IS NOT NULL
GROUP BY ALL),
ra AS (
SELECT bucket, reason,
       avg(coalesce(nxt <= r + INTERVAL 90 DAY, false)::DOUBLE) AS repurchase_after_contact_90d
FROM ra_c GROUP BY ALL),
rb_first AS (
SELECT greatest(CAST(date_trunc('week', o.ordered_at) AS DATE), $start_date) AS bucket, o.customer_id, o.ordered_at AS o_at, o.next_ordered_at AS nxt
FROM orders o
WHERE o.ordered_at >= $start_ts AND o.ordered_at < $end_ts AND o.customer_id IS NOT NULL
  AND (o.prev_ordered_at IS NULL OR o.prev_ordered_at < CAST(greatest(CAST(date_trunc('week', o.ordered_at) AS DATE), $start_date) AS TIMESTAMP))),
rb_contacted AS (
SELECT DISTINCT greatest(CAST(date_trunc('week', c.created_at) AS DATE), $start_date) AS bucket, c.customer_id
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
ce AS (
SELECT b.bucket, count(rc.cause_id) AS causes_eliminated
FROM buckets b LEFT JOIN root_causes_src rc
  ON rc.status = 'eliminated' AND rc.fixed_on >= b.bucket AND rc.fixed_on <= b.bucket_end
GROUP BY b.bucket),
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
SELECT w.bucket, w.cause_id, coalesce(c.driver, c.reason, 'Unknown') AS reason, count(*) AS n
FROM av_windows w JOIN av_reasons cr ON cr.cause_id = w.cause_id
JOIN contacts c ON coalesce(c.driver, c.reason, 'Unknown') = cr.reason
  AND c.created_at >= CAST(w.w_start AS TIMESTAMP)
  AND c.created_at < CAST(w.bucket_end AS TIMESTAMP) + INTERVAL 1 DAY
WHERE c.created_at >= $start_ts AND c.created_at < $end_ts AND true
GROUP BY ALL),
av_base AS (
SELECT cr.cause_id, coalesce(c.driver, c.reason, 'Unknown') AS reason, count(*) AS n
FROM av_reasons cr JOIN contacts c ON coalesce(c.driver, c.reason, 'Unknown') = cr.reason
  AND c.created_at >= CAST(cr.fixed_on AS TIMESTAMP) - INTERVAL 56 DAY
  AND c.created_at < CAST(cr.fixed_on AS TIMESTAMP)
WHERE c.created_at < $end_ts AND true
GROUP BY ALL),
av_keys AS (
SELECT cause_id, reason FROM av_base UNION SELECT cause_id, reason FROM av_actual),
av_terms AS (
SELECT w.bucket, w.bucket_end, w.w_start, w.cause_id, k.reason,
       coalesce(bs.n, 0) AS base_n, coalesce(ac.n, 0) AS actual_n
FROM av_windows w JOIN av_keys k ON k.cause_id = w.cause_id
LEFT JOIN av_base bs ON bs.cause_id = w.cause_id AND bs.reason IS NOT DISTINCT FROM k.reason
LEFT JOIN av_actual ac ON ac.bucket = w.bucket AND ac.cause_id = w.cause_id AND ac.reason IS NOT DISTINCT FROM k.reason),
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
SELECT t.bucket, t.cause_id, t.w_start, t.bucket_end AS w_end, t.reason, t.base_n,
       t.actual_n, coalesce(ow.n, 0) AS orders_w, coalesce(ob.n, 0) AS orders_base, CASE WHEN coalesce(ob.n, 0) > 0 THEN coalesce(ow.n, 0)::DOUBLE / ob.n ELSE (date_diff('day', t.w_start, t.bucket_end) + 1) / 56.0 END AS scale
FROM av_terms t
LEFT JOIN av_ow ow ON ow.bucket = t.bucket AND ow.cause_id = t.cause_id
LEFT JOIN av_ob ob ON ob.cause_id = t.cause_id),
av AS (
SELECT bucket, reason, sum(base_n * scale - actual_n) AS contacts_avoided
FROM av_cause GROUP BY ALL),
av_q AS (SELECT DISTINCT bucket FROM av_windows),
keys AS (SELECT DISTINCT bucket, reason FROM period_contacts UNION SELECT bucket, reason FROM bl UNION SELECT bucket, reason FROM av)
SELECT k.bucket, k.reason, coalesce(cm.contacts, 0) AS contacts, 1000.0 * coalesce(cm.contacts, 0) / NULLIF(po.orders, 0) AS contact_rate, cm.repeat_contact_rate AS repeat_contact_rate, cm.self_service_rate AS self_service_rate, cm.preventable_share AS preventable_share, cm.external_share AS external_share, coalesce(ce.causes_eliminated, 0) AS causes_eliminated, CASE WHEN av_q.bucket IS NOT NULL THEN coalesce(av.contacts_avoided, 0) END AS contacts_avoided, cm.resolution_rate AS resolution_rate, cm.fcr_rate AS fcr_rate, cm.reopen_rate AS reopen_rate, cm.csat AS csat, cm.csat_response_rate AS csat_response_rate, cm.ces_avg AS ces_avg, cm.first_response_hours_median AS first_response_hours_median, cm.first_response_hours_p90 AS first_response_hours_p90, cm.resolution_hours_median AS resolution_hours_median, cm.resolution_hours_p90 AS resolution_hours_p90, cm.transfer_rate AS transfer_rate, cm.escalation_rate AS escalation_rate, coalesce(bl.backlog, 0) AS backlog, ra.repurchase_after_contact_90d AS repurchase_after_contact_90d, rb.repurchase_baseline_90d AS repurchase_baseline_90d, cm.happy_rate AS happy_rate, cm.first_response_business_hours_median AS first_response_business_hours_median, cm.first_response_business_hours_p90 AS first_response_business_hours_p90, cm.resolution_business_hours_median AS resolution_business_hours_median, cm.resolution_business_hours_p90 AS resolution_business_hours_p90, cm.sla_first_response_rate AS sla_first_response_rate, cm.sla_resolution_rate AS sla_resolution_rate, cm.sla_breaches AS sla_breaches, cm.sla_running AS sla_running, cm.sla_at_risk AS sla_at_risk
FROM keys k
LEFT JOIN cm ON cm.bucket = k.bucket AND cm.reason IS NOT DISTINCT FROM k.reason
LEFT JOIN po ON po.bucket = k.bucket
LEFT JOIN bl ON bl.bucket = k.bucket AND bl.reason IS NOT DISTINCT FROM k.reason
LEFT JOIN ra ON ra.bucket = k.bucket AND ra.reason IS NOT DISTINCT FROM k.reason
LEFT JOIN repurchase_baseline rb ON rb.bucket = k.bucket
LEFT JOIN ce ON ce.bucket = k.bucket
LEFT JOIN av ON av.bucket = k.bucket AND av.reason IS NOT DISTINCT FROM k.reason
LEFT JOIN av_q ON av_q.bucket = k.bucket
ORDER BY bucket NULLS LAST, reason NULLS LAST
