-- The recycle schedule: at most one entry per lead (recycle.Store).
--
-- Times are INTEGER Unix microseconds (UTC). Versions come from the one row
-- of recycle_version, a store-wide sequence, so a version is never used
-- twice, even for a lead deleted and scheduled again. A claim is a lease:
-- lease_until is set while a worker holds the entry (and stays set after
-- the lease ended, until the entry is claimed again, acknowledged or
-- rewritten); NULL when the entry is not claimed.

CREATE TABLE recycle_version (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    last INTEGER NOT NULL
);
INSERT INTO recycle_version (id, last) VALUES (1, 0);

CREATE TABLE recycle_entries (
    -- BINARY collation: claims hand out leads due together by rank, then by
    -- lead ID compared as bytes.
    lead_id     TEXT COLLATE BINARY PRIMARY KEY,
    due         INTEGER NOT NULL,
    reason      TEXT NOT NULL,
    task        TEXT NOT NULL,
    rank        INTEGER NOT NULL,
    recycles    INTEGER NOT NULL CHECK (recycles >= 0),
    attempt     INTEGER NOT NULL CHECK (attempt >= 0),
    since       INTEGER NOT NULL,
    version     INTEGER NOT NULL CHECK (version > 0),
    lease_until INTEGER,
    claims      INTEGER NOT NULL DEFAULT 0 CHECK (claims >= 0)
) WITHOUT ROWID;

-- Entries waiting to be due, in claim order: a claim reads the first rows
-- of this index and stops, whatever the size of the table.
CREATE INDEX recycle_entries_waiting ON recycle_entries (due, rank DESC, lead_id)
    WHERE lease_until IS NULL;

-- Entries under a lease, by its end: a claim finds the leases that ended
-- (a worker that died) without reading the ones still running. Only leads
-- in flight are in this index.
CREATE INDEX recycle_entries_leased ON recycle_entries (lease_until)
    WHERE lease_until IS NOT NULL;
