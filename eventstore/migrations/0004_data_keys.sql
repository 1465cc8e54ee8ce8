-- Personal data: one data key per subject (a user, a candidate record, a recruiter, a contact …),
-- wrapped by a key-encryption key from settings. Erasure destroys the wrapped key: every field
-- encrypted with it becomes unreadable, while the events and their hash chains stay as they were.
CREATE TABLE IF NOT EXISTS eventstore.data_keys (
    subject    text        PRIMARY KEY,
    kek_id     text,
    wrapped    bytea,
    created_at timestamptz NOT NULL DEFAULT now(),
    erased_at  timestamptz,
    -- a key is either held (wrapped by a named key-encryption key) or erased, never both
    CHECK ((wrapped IS NULL) = (erased_at IS NOT NULL)),
    CHECK ((wrapped IS NULL) = (kek_id IS NULL))
);

-- Where no SPLITS_DATA_KEY is configured outside production, the key-encryption key is a development
-- key kept here (created on first use, announced loudly). Production refuses to start without one.
CREATE TABLE IF NOT EXISTS eventstore.development_data_key (
    id         boolean     PRIMARY KEY DEFAULT true CHECK (id),
    kek        bytea       NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
