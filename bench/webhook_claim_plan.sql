-- The webhook worker's two claim statements on a backlog: 200 accounts x 2,000 deliveries,
-- 10% of them pending and due (40,000), the rest delivered history. Run against a database
-- migrated by `kommodore migrate` (it adds rows; use a scratch database):
--   createdb claim_plan && KOMMODORE_DATABASE_URL=postgresql://postgres@127.0.0.1/claim_plan \
--     kommodore migrate && psql -d claim_plan -f bench/webhook_claim_plan.sql
INSERT INTO accounts (id, subdomain, name, country, currency, currency_symbol, customers_mode,
  is_unsorted_on, is_loss_reason_enabled, is_helpbot_enabled, is_technical_account,
  contact_name_display_order, mobile_feature_version, version, settings, created_at, updated_at,
  created_by, updated_by)
SELECT a, 'a' || a, 'a', 'US', 'USD', '$', 'disabled', false, false, false, false, 1, 0, 1, '{}',
  0, 0, 0, 0 FROM generate_series(1, 200) a;
INSERT INTO webhook_bodies (account_id, id, created_at, size, head)
SELECT a, a, 0, 1, 'h' FROM generate_series(1, 200) a;
INSERT INTO webhook_deliveries (account_id, id, webhook_id, destination, body_id, actions,
  created_at, status, attempts, next_attempt_ms)
SELECT a, a * 100000 + i, 1, 'http://x', a, 'add', 0,
  CASE WHEN i % 10 = 0 THEN 'pending' ELSE 'delivered' END, 0, 1000 + i
FROM generate_series(1, 200) a, generate_series(1, 2000) i;
ANALYZE webhook_deliveries;
-- which accounts have due deliveries (no lock, across accounts)
EXPLAIN ANALYZE SELECT account_id, count(*) FROM webhook_deliveries WHERE status = 'pending'
  AND next_attempt_ms <= 5000 AND (locked_until_ms IS NULL OR locked_until_ms < 5000)
  GROUP BY account_id ORDER BY min(next_attempt_ms), account_id LIMIT 50;
-- one account's share (locks, one account)
BEGIN;
EXPLAIN ANALYZE UPDATE webhook_deliveries SET locked_until_ms = 9000, claimed_by = 'w'
  WHERE account_id = 7 AND id = ANY(ARRAY(SELECT id FROM webhook_deliveries WHERE account_id = 7
  AND status = 'pending' AND next_attempt_ms <= 5000
  AND (locked_until_ms IS NULL OR locked_until_ms < 5000)
  ORDER BY next_attempt_ms, id LIMIT 5 FOR UPDATE SKIP LOCKED)) RETURNING id;
ROLLBACK;
