-- A delivery under way: set before the request goes out, cleared when its outcome is
-- recorded. A row found with it set after a crash has an unknown outcome; the worker asks
-- the CRM whether the call is already journaled before sending it again.
ALTER TABLE outbox ADD COLUMN sending_at INTEGER;
