// Package nurture keeps interest leads warm with permission and finds the
// leads nobody looks after.
//
// Interest is the counterfeit of need. A prospect who downloads a white
// paper is interested: they belong to marketing, on a nurture track that
// educates them from the general to the specific, one permitted touch at a
// time. A prospect who asks for a price needs something: nurture stops and
// sales answers within minutes. This package plans the touches, hands the
// lead off the moment need appears, and audits a whole pipeline for
// neglect. It imports only the lead package; storage, sending and people
// belong to the host.
//
// # Tracks
//
// A [Track] is a named sequence of steps. Each step names an asset, its
// [Specificity] (the prospect's problem, the vendor's approach, the
// vendor's product), the channel it uses and the wait before it. A track
// never goes back from the specific to the general. Tracks are data, the
// JSON a CRM stores and a marketer edits:
//
//	{"name": "ops-101", "steps": [
//	  {"asset": "Why fleets overspend", "specificity": "problem", "channel": "email"},
//	  {"asset": "Route planning, the method", "specificity": "approach", "channel": "email", "wait": "3d"},
//	  {"asset": "RoutePlanner in 10 minutes", "specificity": "product", "channel": "email", "wait": "4d"}
//	]}
//
// A wait is written in the one duration syntax of leadqual, described under
// "Durations" in the lead package's documentation ("3d", "1d12h", "90m"),
// and is at most [MaxWait].
//
// [ParseTrack] reads it and [NewTrack] builds one from Go values; both
// refuse a bad track with a [*TrackError] that lists every problem and
// names its step:
//
//	nurture: track "ops-101" step 3 (asset "Fleet costs"): wait at line 4, column 96: is 400d, longer than 366d
//
// A Track is immutable and safe for concurrent use: build it once, when the
// definition changes, and share it.
//
// # Enrolment
//
// An [Enroller] decides which track an interest lead joins: [Rule]s tried in
// order (by product or topic interest, industry, country, source) and a
// required default track, so that no interest lead is left without one.
//
//	en := enroller.Enrol(l, now)        // en.Track, en.Rule, en.Progress
//	err := l.MoveTo(lead.StageNurturing, now, "interest")
//	store.Save(l.ID, en.Track.Name(), en.Progress)
//
// # Planning the next touch
//
// A [Planner] answers, for a lead, its track, its [Progress] on it and
// now: the next touch (which step, which channel, at what time), or why
// there is none. The host stores the progress next to the lead, sends each
// touch when it is due and records it:
//
//	plan, err := planner.Next(nurture.Input{Lead: l, Track: t, Progress: p}, now)
//	switch {
//	case err != nil:
//		// input the planner cannot judge, such as an unknown time zone
//	case plan.Touch():
//		// at plan.At, send plan.Step.Asset on plan.Channel; then
//		l.Activities = append(l.Activities, lead.Activity{Kind: lead.KindNurtureEmail, At: sent, Channel: plan.Channel})
//		p = p.Advance(sent)
//	case plan.Outcome == nurture.OutcomeHandOff:
//		// sales must touch the lead by plan.Deadline
//	default:
//		// plan.Outcome says why there is no touch
//	}
//
// The [Outcome] is one of: OutcomeTouch; OutcomeDisqualified (stage
// disqualified, or a final lost reason); OutcomeHandOff (need);
// OutcomeWithSales (a stage sales owns, or a customer); OutcomeCompleted;
// OutcomeNoConsent; OutcomeConsentWithdrawn. [Planner.Next] documents the
// order in which they are checked. Plan.String explains a plan in a line.
//
// # Permission
//
// Permission is enforced, not advised. No touch is planned on a channel
// unless the prospect opted in on it (lead.Lead.Consent); an opt-out, or
// an unsubscribe, a bounce or a spam complaint since the opt-in, stops the
// channel. Consent given again after such an activity restores it. A
// step on a channel without permission is reported, not skipped: the host
// asks for consent, or skips it with [Progress.Skip].
//
// # Need and the hand-off
//
// Any activity of need intent since the enrolment (a pricing, quote, demo
// or contact request, a trial, a booked meeting, a phone conversation, or
// a host kind the policy declares need) stops the track: OutcomeHandOff,
// with a response deadline of the need's time plus the policy's response
// deadline, five minutes by default. What each kind means, and the
// deadline, are the qualify policy's vocabulary (Config.Vocabulary: pass
// the policy's Vocabulary()), so the planner hands off exactly the leads
// the policy sends to sales; there is no second place to set them. A host
// that found need by other means, such as a qualify decision, says so in
// Input.Need, with the decision's own deadline. When sales hands a lead
// back to marketing, enrol it again: a new enrolment time starts a new
// watch for need.
//
// # Product lines
//
// A business that sells several product lines (declared in the qualify
// policy's settings, read through the Vocabulary) may nurture a lead on
// one track per line: Input.Line names the line a track nurtures. The
// line's funnel (lead.Lead.Funnel) then decides whether the lead is
// disqualified or with sales on that line, and only need on the line, or
// need about no line's product, hands it off: a customer of one line
// asking for a quote on it keeps learning about another. The lead's do
// not contact stops every line, and the frequency cap counts the
// marketing touches of every line, for it protects the person.
//
// # Frequency cap and quiet hours
//
// A touch keeps a frequency cap, at most Config.MaxTouches marketing touches
// in the Config.CapPeriod that ends with it (3 in 7 days by default),
// counting the lead's activities of marketing kinds (lead.KindNurtureEmail,
// and host kinds the policy's settings count as marketing touches) from
// every track. It also keeps
// [QuietHours], 21:00 to 08:00 by default, optionally with whole quiet
// days, in the lead's own time zone (lead.Contact.TimeZone, or
// Config.TimeZone). A touch that falls in them moves to the next allowed
// time, never earlier. The wall clock is followed through daylight-saving
// changes: the night the clocks go forward is an hour shorter, quiet hours
// that end in the hour that does not exist end when the clock jumps out of
// them, and quiet hours that the clocks fall back into last until the wall
// clock leaves them again. Plan.Due is when the step fell due and
// Plan.Moved says why Plan.At is later.
//
// Time zones come from the machine's zoneinfo database, loaded once per
// zone and cached in the Planner. A host that runs where there is none (a
// scratch container) imports time/tzdata; a lead whose zone does not load
// is an error, never a guess.
//
// # The neglect audit
//
// An [Auditor] reads a stream of leads, an iter.Seq of [Item] (the lead,
// the track it is on, need the host found), and returns a [Report] a sales
// manager acts on:
//
//   - response deadline breaches: need leads with no sales touch within the
//     deadline, unanswered (respond now) or answered late (review), each
//     saying whether the need arrived inside or outside the team's
//     response hours, when the policy has them;
//   - need with no owner: unanswered need nobody owns, so nobody answers;
//   - ignored prospects: leads with no touch for longer than their stage
//     allows ([DefaultStageLimits], configurable per stage);
//   - unnurtured interest: interest leads on no track, with the track the
//     Enroller would give them and the consent they still need;
//   - pipeline coverage: leads and total potential value per stage and per
//     currency (currencies are never added together) against [Target]s;
//   - coverage per owner ([OwnerLoad]): each owner's open leads,
//     unanswered need, breaches (inside and outside hours) and ignored
//     prospects, and the team's load imbalance ([Report].Imbalance), so
//     that the team can be spread to cover every prospect.
//
// Response deadlines are the policy's ([qualify.Vocabulary.Deadline]): the
// audit, the planner's hand-off and qualify's decision count them the same
// way, working hours included.
//
// [Auditor.RunAccounts] audits a stream of lead.Account values instead:
// every lead as Run does (a loss recorded on the account answers the
// requests made before it), and each account as a whole:
//
//   - unowned accounts: an account with unanswered need and no owner;
//   - buying groups: an account in motion whose engaged contacts do not
//     hold every role the policy requires (the decision maker by default:
//     "reach the sales, finance or managing director").
//
// Each [Finding] says what to do. Findings are ordered by kind, then by
// potential value within each currency, then by how overdue they are.
// [Report.WriteText] writes the report for people; it also marshals to
// JSON.
//
// The audit streams: it keeps the AuditConfig.MaxFindings best-ranked
// findings of each kind and currency (100 by default) in a heap, and one
// total per stage and currency, so memory stays flat however many leads
// pass; the report counts every finding it found. It honours its context
// every 1024 leads.
//
// # Performance
//
// The hot paths are measured against plain Go written for the one case
// (the yardsticks in bench_test.go; TestYardstickDoesTheSameWork checks
// that they agree with the package). Figures from a shared, noisy 2-core
// Intel Xeon with go1.26, so compare ratios within one run:
//
//	go test -run '^$' -bench 'PlannerNext' -benchmem -count 5 ./nurture/
//
//	BenchmarkPlannerNext            ~250 ns/op   0 B/op   0 allocs/op
//	BenchmarkPlannerNextParallel    ~210 ns/op   0 B/op   0 allocs/op  (2 goroutines, one Planner)
//	BenchmarkPlannerNextYardstick   ~195 ns/op  24 B/op   1 allocs/op
//
// One next-touch decision for a lead with a dozen activities (scanned for
// need, withdrawals and the cap, and a touch moved out of quiet hours in
// London) takes about a quarter of a microsecond and allocates nothing:
// 1.3 times the hand-written code that knows its track, zone and kinds in
// advance.
//
//	go test -run '^$' -bench 'Audit' -benchtime 1x -benchmem ./nurture/
//
//	BenchmarkAudit1M               ~270 ns/lead  peak heap 3.6 MB   (2.9 MB over the start)  20k allocs in all
//	BenchmarkAudit100k                           peak heap 3.6 MB   (2.9 MB over the start)  20k allocs in all
//	BenchmarkAudit1MGenerateOnly    ~55 ns/lead  peak heap 0.9 MB   (the stream of leads alone)
//	BenchmarkAudit1MYardstick     ~1400 ns/lead  peak heap 143 MB   (keeps every finding, sorts at the end)
//
// The audit of a million leads takes about 0.27 s, of which 0.05 s makes
// the leads; its heap peaks at the same 3.6 MB for a hundred thousand
// leads as for a million, and its allocations do not grow with the
// stream. The plain version is five times slower and its heap grows with
// the findings. Peak heap is HeapInuse sampled with runtime.ReadMemStats
// every 10,000 leads.
//
// # Errors and concurrency
//
// Bad input is an error that says what and where, never a panic: a
// [*TrackError] (ErrInvalidTrack) naming the step, an [*Error] naming the
// field (ErrInvalidConfig) or the lead and the field (ErrInvalidInput).
// Either reaches each field as a *lead.FieldError with errors.As. Tracks,
// Enrollers, Planners and Auditors are immutable once built and safe for
// concurrent use; the Planner keeps the time zones it loads in a
// lead.Zones. Nothing here reads the wall clock: every time comes
// from the caller.
package nurture
