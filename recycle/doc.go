// Package recycle keeps lost and "not now" leads alive. A sales lead never
// dies, with a handful of exceptions: a lead set aside is called again
// later, at a time that depends on why it was set aside, and sooner if it
// shows a new interest in something this business sells.
//
// The package has three parts, usable on their own or together:
//
//   - a [Planner], a pure function from a lead, the reason it was set aside
//     and what happened to it before, to a due time and a follow-up task;
//   - a [Classifier] of new interests against the host's [Catalogue] of
//     products and industry;
//   - a [Scheduler] that keeps recycled leads on a [Store] and hands due
//     leads to workers under a lease, with [MemStore] as the in-memory
//     default and the package recycletest as the conformance suite of any
//     other Store.
//
// The package never reads the clock for a decision: every call takes `now`
// from its caller, so every decision can be replayed. The one exception is
// leases, which are not decisions but mutual exclusion between workers:
// they run on the store's own clock (see Time below). The package holds no
// global state.
//
// # Reasons and horizons
//
// The reasons are lead.Reason values. Each has a [Horizon]: how long the lead
// sleeps the first time, the most it ever sleeps, the task for whoever
// calls it, and optionally a date of the lead it is anchored to. The
// defaults ([DefaultHorizons], where each choice is argued from the
// doctrine's seeds):
//
//	reason              sleeps    at most   or until                       task
//	not_now             90 days   180 days  the expected purchase date     ask whether the time has come
//	no_budget           180 days  365 days                                 ask about the next budget cycle
//	no_decision_maker   14 days   90 days                                  reach the sales, finance or managing director
//	unresponsive        60 days   180 days  after 3 unanswered attempts,   try another channel, time or contact
//	                                        retried after 2 then 4 days
//	stonewalled         180 days  365 days                                 try a fresh approach
//	preferred_supplier  365 days  365 days  the contract renewal date      is the supplier still delivering?
//	offshored           365 days  365 days  the contract renewal date      is the partner abroad delivering?
//	not_a_fit, do_not_contact               final: never scheduled         (ErrFinal)
//
// Out of scope is a long horizon, never "never"; stonewalled (stonewalled
// or dismissed) is "move on, for now", not never either. A reason of the
// host's own takes [Horizons.Fallback] (90 days, at most 365) unless it is
// given a horizon.
//
//	p, err := recycle.NewPlanner(recycle.Horizons{
//		Reasons: map[lead.Reason]recycle.Horizon{
//			lead.ReasonNoBudget:        {After: 120 * recycle.Day},   // override one field
//			lead.ReasonNoDecisionMaker: {Longest: 60 * recycle.Day},  // or only the maximum
//			"building_in_house": {After: 150 * recycle.Day, Longest: 300 * recycle.Day, Task: "Ask how the build is going"},
//		},
//	})
//	plan, err := p.Plan(l, lead.ReasonNoBudget, recycle.Prior{Recycles: 1}, now)
//	// plan.Due, plan.Task, plan.Basis ("backoff"), plan.Next (the counts to keep)
//
// A lead recycled again backs off: the n-th recycle waits After ×
// Backoff^n, never more than its reason's [Horizon.Longest], and from
// [Horizons.Cap] recycles on it waits exactly that. So no lead is ever
// given up on: a lead without a decision maker is called again within a
// quarter, the fiftieth time as the fifth. A date the prospect gave comes
// first, even beyond the reason's Longest, for it is the natural time to
// call: the expected purchase for "not now", the renewal for out of scope
// (optionally [Horizon.Ahead] of it). Only [Horizons.Longest] (730 days),
// the ceiling of every wait, bounds it. A maximum below the first wait,
// negative, or above the ceiling is refused, naming the field. A final
// reason is an error wrapping [ErrFinal]. [Horizons] round-trip through
// JSON ([ParseHorizons]), with durations written "90d", "36h", "1d12h":
// the one duration syntax of leadqual, described under "Durations" in the
// lead package's documentation.
//
// # Jitter and working hours
//
// Leads recycled together would all come due together. Each due time is
// moved later by up to [Horizons.Jitter] (48 hours, and at most a tenth of
// the wait), by an amount derived from the lead ID with FNV-1a: the same
// lead, reason and history always give the same time. With
// [Horizons.Hours] set, a due time outside working hours moves to a
// working moment of the next working day in the lead's own time zone
// (lead.Contact.TimeZone), spread over the day by the lead ID. Working
// hours are wall-clock times, so a daylight-saving change moves the
// instant, never the clock time; holidays are skipped. [WorkingHours] is
// the module's one calendar, lead.WorkingHours, the same type (and JSON
// form) as a qualify policy's response hours. Hosts on systems without a
// time zone database should import time/tzdata.
//
// # New interests
//
// A new interest is information, not betrayal. The host describes what it
// sells and the industry it sells in as a [Catalogue] (data, JSON), and
// classifies each new activity of a recycled lead:
//
//   - something we also sell ([ClassOurs]): the lead should have been
//     recycled sooner; [Scheduler.Observe] wakes it now with the task
//     "new interest in <product>", and the host requalifies it;
//   - the same industry from another vendor ([ClassCompetitive]): the risk
//     is flagged ([Match.Competitor], [Match.Reason]), the schedule kept;
//   - anything else ([ClassUnrelated]): nothing changes.
//
// Terms match whole words, case-insensitively, in the activity's product,
// topic and asset title. Our own touches (a nurture email about our
// product) and negative activities are no new interest; a need shown to us
// (a pricing or demo request) always is.
//
// # Product lines
//
// A lead lost on one product line (declared in the qualify policy, read
// through Config.Vocabulary) may be a customer or a prospect on another:
// [Scheduler.RecycleLine] recycles one line of a lead, at the line's
// funnel (lead.Lead.Funnel) and for its lost reason, in an entry of its
// own whose key is [EntryKey] of the lead and the line. Wake, Reschedule,
// Cancel and Get take that key; Claim hands it out, and [Entry.Lead]
// splits it. A new interest in something we sell wakes the entry of the
// line it belongs to, when the lead has one, and no other; otherwise the
// lead's own entry, as without lines. The Store is unchanged: a line's
// entry is an entry like any other, under its key.
//
// # The scheduler
//
// A [Scheduler] keeps at most one [Entry] per lead in a [Store]:
//
//	s, err := recycle.NewScheduler(recycle.NewMemStore(), recycle.Config{
//		Currency:   "GBP",                // rank leads due together by potential value
//		Catalogue:  catalogue,            // what we sell: a new interest in it wakes a lead
//		Vocabulary: policy.Vocabulary(),  // what activities mean: the qualify policy's
//	})
//	e, err := s.Recycle(ctx, l, lead.ReasonNotNow, now)   // schedule, or reschedule
//	obs, err := s.Observe(ctx, l.ID, activity, now)       // wake on a new interest in ours
//	e, err = s.Wake(ctx, l.ID, "called us back", now)     // due now
//	e, err = s.Reschedule(ctx, l.ID, due)                 // "call me on the 5th"
//	err = s.Cancel(ctx, l.ID)                             // requalified, or final
//
// Workers claim due leads: earliest due first, then the highest potential
// value, then by lead ID. A claim is a lease ([Config.Lease], 10 minutes):
// a worker that crashes loses nothing, for its leads are handed to the next
// Claim once the lease ends.
//
//	for {
//		claims, err := s.Claim(ctx, time.Now(), 100)
//		if err != nil || len(claims) == 0 {
//			time.Sleep(time.Minute) // a store error, or nothing due
//			continue
//		}
//		for _, c := range claims {
//			outcome, err := call(c.IdempotencyKey(), c.LeadID, c.Task) // the host's work, idempotent by key
//			switch {
//			case err != nil:
//				_, err = s.Fail(ctx, c, err, time.Now()) // retried later; dead after Config.MaxAttempts
//			case outcome.StillNotReady:
//				_, err = s.RecycleClaimed(ctx, c, lead, outcome.Reason, time.Now())
//			default:
//				err = s.Ack(ctx, c) // done: never handed out again
//			}
//			if errors.Is(err, recycle.ErrLeaseLost) { /* someone else has it now */ }
//		}
//	}
//
// A long task renews its lease with [Scheduler.Extend]; [Scheduler.Release]
// gives a lead back at once, without counting an attempt. Every claim
// carries a fencing token (its Version): an acknowledgement from a worker
// whose lease ran out and whose lead was claimed again is refused with
// [ErrLeaseLost], so an acknowledged lead is never handed out twice for the
// same schedule.
//
// # Time
//
// Two clocks meet in the scheduler, and each decides one thing. The
// caller's clock (the now of every call) decides what is due: due times,
// horizons, wake-ups and retry delays are the business's timeline, which a
// replay or a test may put anywhere. The store's clock decides when a lease
// ends: a claim lasts Config.Lease from the store's now, and only the store
// compares a lease with its clock. A SQL store uses the database's clock,
// the same for every worker; [MemStore], one process, uses its Clock. So
// workers whose clocks disagree, or that replay another day, never see a
// live lease as ended, and a store never grants a lead while a lease it
// holds for it runs; a worker's clock can at worst make a lead due a
// little early or late for that worker. (A worker that outlives its lease,
// or whose claim a crash of the database lost, may still be working when
// the lead is claimed again: its Ack is then refused with ErrLeaseLost,
// and Entry.IdempotencyKey keeps its effects to once.)
//
// # Delivery, failures and dead leads
//
// Delivery is at least once: a worker that does its task but dies before
// acknowledging it hands the lead to the next worker. Effects can be at
// most once per schedule all the same: [Entry.IdempotencyKey] names the schedule a
// claim belongs to, the same for every delivery of it and new for every new
// schedule. A host stores the key with its side effect (in a unique column,
// or in the transaction that acknowledges the claim) and does the effect
// only for a new key. The calls that end or renew a claim (Ack,
// RecycleClaimed, Fail, Release, Extend) ride out a store that is away for
// a moment: an error wrapping [ErrUnavailable] is retried with backoff
// ([Config.StoreRetries], [Config.StoreBackoff]), and a retry that finds
// the write of an earlier try whose answer was lost takes it as its own.
//
// A worker whose task fails calls [Scheduler.Fail]: the failure is written
// down in the entry (Failures, LastError) and the lead is due again after
// [Config.RetryDelay], doubled for each failure. A claim whose lease runs
// out (the worker died, or hung on this lead) counts as a failure too; a
// release does not. A lead that fails [Config.MaxAttempts] times is dead:
// parked, never claimed, listed by [Scheduler.Dead] and counted by
// [Scheduler.Stats], until the host fixes the cause and calls
// [Scheduler.Requeue]. Stats gives the depth of the queue: entries
// scheduled, due, leased, with an expired lease, dead, and the oldest due
// time.
//
// Values in different currencies are never compared: with
// [Config.Currency] a lead valued in another currency is refused with an
// error wrapping lead.ErrCurrencyMismatch, and a lead of unknown value
// ranks below every known one. A host with several currencies sets
// [Config.Rank] to convert them at its own rates.
//
// Every store error reaches the caller wrapped with the operation and the
// lead ("recycle: wake lead "L-1": ..."), and every method may be retried:
// [Scheduler.Recycle] recognises its own earlier write (same lead, reason
// and now) and counts nothing twice, writes are conditional on the version
// read, and a claim whose answer was lost only holds its leads until the
// lease ends. An entry is never lost or duplicated because a call failed.
//
// # Stores
//
// [Store] is seven methods: Get, Put and Delete conditional on a version,
// Claim and Extend on the store's clock, Dead and Stats. Its contract is
// documented on the interface; a host implementing it over its own
// database runs the conformance suite from a test, giving it the means to
// move the store's clock (the suite does not wait for leases to run out)
// and, if the store has them, the host's transactions:
//
//	func TestStore(t *testing.T) {
//		recycletest.Run(t, func(t *testing.T) recycletest.Harness {
//			s := newEmptyStore(t)
//			return recycletest.Harness{Store: s, Advance: s.AdvanceClock, Begin: s.beginForTest}
//		})
//	}
//
// A store bound to a transaction of the host lets the host's write and the
// schedule commit or roll back together: [Scheduler.WithStore] runs the
// scheduler over it (sched.WithStore(store.Tx(tx)).Recycle(...)).
//
// In SQL, the contract maps onto one table and a store-wide sequence for
// the versions. What keeps a claim's cost to what it returns, however
// large the schedule and however many leases ended (a mass crash, an
// outage), is one partial index of the entries that are not dead, in claim
// order (due, rank descending, lead ID with a binary collation): a claim
// reads it from its head, skips the leases still running on the
// database's clock, takes the rows with FOR UPDATE SKIP LOCKED so that
// concurrent claims neither wait for each other nor take the same entry,
// and stops after the batch. Leases that ended are found there among the
// waiting entries, in order, instead of being gathered from an index of
// their own and sorted. Conditional writes run in a transaction that tells
// ErrStale from ErrNotFound and that a cancelled context cannot interrupt
// once it commits. The module examples/sqlstore of the repository
// implements all of it on SQLite and PostgreSQL, with the schema as plain
// SQL migrations, and passes recycletest.
//
// # Performance
//
// [MemStore] keeps each entry in a 64-byte slot, found by an
// open-addressing index of 4-byte cells and ordered by two heaps of 4-byte
// positions; what only some entries have (the lease of a claimed entry, a
// Schedule other than the entry's Version) is kept beside the slots. A
// waiting entry costs 78 to 79 bytes beyond the bytes of its lead ID
// (measured from 300,000 to 1,500,000 entries), against about 101 for a
// hand-written map plus container/heap of structs. Schedule, wake and
// claim cost O(log n). Measured on 1,000,000 scheduled leads (2 shared
// cores, load average about 1 when it started, go1.26; medians of 3 runs:
// compare the ratios within one run, not the absolute figures):
//
//	go test -run '^$' -bench . -benchmem -count 3 ./recycle/
//
//	                              ns/op       B/op  allocs/op
//	MemStore   schedule             710         17          1   78.9 bytes/entry
//	MemStore   wake               2,646         34          0
//	MemStore   claim-1000+ack 4,284,133    204,800          1
//	Scheduler  recycle            3,880        128          3   (validate, get, plan, put; working hours on)
//	Scheduler  wake               2,172        208          1
//	Scheduler  claim-1000+ack 3,825,219    204,800          1
//	Planner    Plan                 403          0          0
//	yardstick  schedule             683         48          1  100.9 bytes/entry
//	yardstick  wake               1,312          0          0
//	yardstick  claim-1000+ack 1,989,689          0          0
//
// (The store's wake rewrites an entry within its schedule, whose Schedule
// then differs from its Version and is kept beside its slot: its B/op.
// The Scheduler's Wake starts a new schedule.)
//
// Scheduling costs about the yardstick's, waking 0.7 to 1.4× (a read and a
// conditional write, where the yardstick edits a pointer in place), and
// claiming about 2× (each of the 1000 claims is returned as a 205-byte
// Entry, with a new version, a lease on the store's clock and its
// schedule): the price of versions, leases, keys, validation and a lock,
// none of which the yardstick has.
package recycle
