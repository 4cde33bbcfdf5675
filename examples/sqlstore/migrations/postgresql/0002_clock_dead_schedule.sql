-- Leases on the database's clock, claims that read only what they return,
-- failures and dead entries, and the schedule behind each claim.
--
-- failures, last_error and dead record the failed attempts at an entry's
-- task; a dead entry is parked, never claimed until it is requeued.
-- schedule is the version of the write that started the entry's schedule:
-- the same for every claim of it, the idempotency key of its work (a lead
-- ID with its schedule). Entries present before this step take their
-- current version as their schedule.
--
-- Claims read one index, recycle_entries_queue, of the entries that are
-- not dead in claim order, from its head: the leases that ended are found
-- there among the waiting entries, in order, instead of being gathered and
-- sorted from an index of their own; a claim skips the leases still
-- running and stops after its batch. Claims no longer change an indexed
-- column, so PostgreSQL can update their rows in place (HOT).
--
-- The step rewrites no row but the UPDATE, and builds two indexes: on a
-- large table, run it when the workers are stopped.

ALTER TABLE recycle_entries
    ADD COLUMN schedule bigint,
    ADD COLUMN failures integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
    ADD COLUMN last_error text NOT NULL DEFAULT '',
    ADD COLUMN dead boolean NOT NULL DEFAULT false;

UPDATE recycle_entries SET schedule = version;

ALTER TABLE recycle_entries
    ALTER COLUMN schedule SET NOT NULL,
    ADD CONSTRAINT recycle_entries_schedule_check CHECK (schedule > 0);

DROP INDEX recycle_entries_waiting;
DROP INDEX recycle_entries_leased;

-- The entries that are not dead, in claim order.
CREATE INDEX recycle_entries_queue ON recycle_entries (due, rank DESC, lead_id)
    WHERE NOT dead;

-- The dead entries, by lead ID: listed a page at a time.
CREATE INDEX recycle_entries_dead ON recycle_entries (lead_id)
    WHERE dead;
