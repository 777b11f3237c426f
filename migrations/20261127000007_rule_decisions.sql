-- Routing rules write what they did to the call-log row ("transferred to 200 by rule VIP").
ALTER TABLE calls ADD COLUMN decisions TEXT NOT NULL DEFAULT '';
