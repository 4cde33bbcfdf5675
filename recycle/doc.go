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
// The package never reads the clock: every call takes `now` from its
// caller, so every decision can be replayed. It holds no global state.
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
//			outcome := call(c.LeadID, c.Task) // the host's work
//			switch {
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
// gives a lead back at once. Every claim carries a fencing token (its
// Version): an acknowledgement from a worker whose lease ran out and whose
// lead was claimed again is refused with [ErrLeaseLost], so an acknowledged
// lead is never handed out twice for the same schedule. Delivery is at
// least once: a worker that does its task but dies before acknowledging it
// may see the task done twice.
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
// [Store] is five methods: Get, Put and Delete conditional on a version,
// Claim and Extend. Its contract is documented on the interface; a host
// implementing it over its own database runs the conformance suite from a
// test:
//
//	func TestStore(t *testing.T) {
//		recycletest.Run(t, func(t *testing.T) recycle.Store { return newEmptyStore(t) })
//	}
//
// In SQL, the contract maps onto one table and a store-wide sequence for
// the versions. Two things decide whether a claim stays cheap as the
// schedule grows: claimable entries are the union of two index range scans,
// not one condition with OR (which PostgreSQL answers with a table scan):
// entries not leased and due, from a partial index in claim order (due,
// rank descending, lead ID with a binary collation) stopped after the
// batch, and entries whose lease ended, from a partial index on the lease's
// end; and each scan takes its rows with FOR UPDATE SKIP LOCKED, so that
// concurrent claims neither wait for each other nor take the same entry.
// Conditional writes run in a transaction that tells ErrStale from
// ErrNotFound and that a cancelled context cannot interrupt once it
// commits. The module examples/sqlstore of the repository implements all
// of it on SQLite and PostgreSQL, with the schema as plain SQL migrations,
// and passes recycletest.
//
// # Performance
//
// [MemStore] keeps each entry in 72 bytes, found by an open-addressing index
// and ordered by two heaps of 4-byte positions: about 89 bytes per entry
// beyond the bytes of its lead ID, against about 101 for a hand-written map
// plus container/heap of structs. Schedule, wake and claim cost O(log n).
// Measured on 1,000,000 scheduled leads (2 shared cores, Intel Xeon, go1.26;
// compare the ratios within one run, not the absolute figures):
//
//	go test -run '^$' -bench . -benchmem ./recycle/
//
//	                              ns/op       B/op  allocs/op
//	MemStore   schedule             743         96          1   88.8 bytes/entry
//	MemStore   wake               1,715          0          0
//	MemStore   claim-1000+ack 2,088,930    163,861          1
//	Scheduler  recycle            2,499        128          3   (validate, get, plan, put; working hours on)
//	Scheduler  wake               1,805        160          1
//	Scheduler  claim-1000+ack 2,252,094    163,889          1
//	Planner    Plan                 192          0          0
//	yardstick  schedule             660        149          1  100.8 bytes/entry
//	yardstick  wake                 756          0          0
//	yardstick  claim-1000+ack 1,518,906          0          0
//
// The store costs about 1.1× the yardstick at scheduling, 1.4× at
// claiming and 2.3× at waking (a read and a conditional write, where the
// yardstick edits a pointer in place): the price of versions, leases,
// validation and a lock, none of which the yardstick has.
package recycle
