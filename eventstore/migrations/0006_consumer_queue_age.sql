-- The publish time of the oldest message a reactor holds unacknowledged, as it last reported (NULL: none),
-- so `splits status` can say how old the head of each reactor's queue is.
ALTER TABLE eventstore.consumer_status ADD COLUMN IF NOT EXISTS oldest_message_at timestamptz;
