-- Which subjects' personal data an event holds: the subjects of its sealed fields, {"$pii": subject, …}
-- at the top level of its data. Indexed (GIN, only over the events that hold a sealed field) so that an
-- access export finds a person's events without reading the whole store. The expression and predicate
-- are spelled exactly as eventstore/sealed.py queries them.
CREATE INDEX IF NOT EXISTS events_sealed_subjects_idx ON eventstore.events
    USING gin ((jsonb_path_query_array(data, '$.*."$pii"')))
    WHERE jsonb_path_exists(data, '$.*."$pii"');
