-- The recycle schedule: at most one entry per lead (recycle.Store).
--
-- Versions come from one store-wide sequence, so a version is never used
-- twice, even for a lead deleted and scheduled again. A claim is a lease:
-- lease_until is set while a worker holds the entry (and stays set after
-- the lease ended, until the entry is claimed again, acknowledged or
-- rewritten); NULL when the entry is not claimed.

CREATE SEQUENCE recycle_version AS bigint;

CREATE TABLE recycle_entries (
    -- Byte-wise order (COLLATE "C"): claims hand out leads due together by
    -- rank, then by lead ID compared as bytes.
    lead_id     text COLLATE "C" PRIMARY KEY,
    due         timestamptz NOT NULL,
    reason      text NOT NULL,
    task        text NOT NULL,
    rank        bigint NOT NULL,
    recycles    integer NOT NULL CHECK (recycles >= 0),
    attempt     integer NOT NULL CHECK (attempt >= 0),
    since       timestamptz NOT NULL,
    version     bigint NOT NULL CHECK (version > 0),
    lease_until timestamptz,
    claims      integer NOT NULL DEFAULT 0 CHECK (claims >= 0)
);

-- Entries waiting to be due, in claim order: a claim reads the first rows
-- of this index and stops, whatever the size of the table.
CREATE INDEX recycle_entries_waiting ON recycle_entries (due, rank DESC, lead_id)
    WHERE lease_until IS NULL;

-- Entries under a lease, by its end: a claim finds the leases that ended
-- (a worker that died) without reading the ones still running. Only leads
-- in flight are in this index.
CREATE INDEX recycle_entries_leased ON recycle_entries (lease_until)
    WHERE lease_until IS NOT NULL;
