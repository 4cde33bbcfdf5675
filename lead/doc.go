// Package lead is the vocabulary every leadqual host shares: the [Lead]
// (who the prospect is, what they did, what they consented to, where they
// stand), its [Activity] kinds with their default [Intent], the funnel's
// [Stage]s and the legal moves between them, exact [Money], and the
// [Reason]s a lead is lost or set aside.
//
// # Interest and need
//
// Interest is the counterfeit of need. Every well-known [Kind] carries a
// default intent: downloading a white paper is interest, asking for a price
// is need, an unsubscribe is negative. A kind the catalogue does not know is
// accepted with IntentNone, so a host's own activity types never break
// anything; a qualify policy can give them an intent.
//
// # Stages
//
// A lead moves through the funnel only along the table documented on
// [Stage.Transitions]; [Lead.MoveTo] refuses any other move with an error
// naming both stages, and records each accepted move in the lead's History.
//
// # Product lines and accounts
//
// A business that sells several product lines sells each on its own. A
// lead keeps a [Funnel] (stage, lost reason, history) per product line in
// Lead.Lines, beside its own Stage, LostReason and History, which are the
// implicit line's: the whole lead for a host that declares no lines. The
// lines follow the one transition table and are independent: a lead won
// on one line stays open on the others, and [Lead.MoveLine] moves one
// line. The qualify policy declares the lines and maps each activity's
// product to its line.
//
// An [Account] is a company and the leads of its people: the buying group.
// It has funnels of its own, like a lead, and its leads keep theirs; the
// qualify package evaluates an account from its contacts. [Merge] joins two
// records of one person into one lead without losing a move, an activity
// or an opt-out.
//
// # Money
//
// [Money] is a decimal amount in an ISO 4217 currency. Amounts compare
// exactly whatever their scale, and amounts in different currencies are
// never compared or added: that is an error, not a guess.
//
// Amounts in different currencies are weighed against each other only
// through [Rates] the host supplies: Rates.Convert turns an amount into the
// host's base currency at its own rate, and a currency without one is an
// error ([ErrNoRate]), never a guess.
//
// # Working hours
//
// [WorkingHours] are the days and hours a team works and the dates it does
// not, in a time zone: the module's one calendar. [WorkingHours.Calendar]
// compiles them into a [Calendar] that says whether a moment is working
// time, finds the next working moment and adds working time ("five minutes
// from Friday 16:58" end on Monday at 09:03). The qualify policy's
// response hours make need deadlines count the sales team's hours; the
// recycle scheduler keeps due times inside them, in each lead's own zone.
//
// # Validation
//
// [Lead.Validate] reports every problem at once, each with the path of the
// field as it appears in JSON (activities[3].at, budget.currency), so a web
// form or an import can show them all; [Account.Validate] does the same
// for an account and its leads (leads[2].contact.email).
//
// # Errors
//
// [FieldError] is the one shape in which every leadqual package says that a
// field is wrong: its JSON-style path, the problem in words, the line and
// column when it was read from a document, and the cause. Each package's
// own error (a [*ValidationError] here) lists its FieldErrors through
// Unwrap() []error, so that
//
//	var fe *lead.FieldError
//	if errors.As(err, &fe) {
//		// fe.Path: "activities[3].at", "rules[2].when", "steps[1].wait"
//	}
//
// works on an error from any package, while errors.Is matches the
// package's sentinel ([ErrInvalid] here).
//
// # Time zones
//
// A contact's time zone is an IANA name; [LoadZone] reads one the way every
// package does (UTC for none, the machine's "Local" refused) and [Zones] is
// the cache the Validator and the planners keep.
//
// # Durations
//
// Every duration a host writes for leadqual (a rule's window in
// count("email_click", "30d"), a policy's freshness and response deadline,
// a nurture track's wait, a recycling horizon) uses one syntax, read by
// [ParseDuration] and written by [FormatDuration]:
//
//   - whole numbers, each followed by a unit: w (week, 7 days), d (day, 24
//     hours), h, m or s: "30d", "2w", "36h", "90m", "45s";
//   - several parts go from the largest unit to the smallest, each unit at
//     most once: "1d12h", "1w2d", "1h30m";
//   - a duration is positive and at most [MaxDuration], 100 years ("36500d");
//   - nothing else: no sign, no fraction ("1.5h"), no spaces, no repeated or
//     reordered units ("1h1h", "1h1d"), no bare number ("1"), no zero ("0d"),
//     no other unit ("90ms", "3days").
//
// Days and weeks are elapsed time, not calendar time: "1d" is 24 hours, also
// across a daylight-saving change. FormatDuration writes days as the largest
// unit ("2w" is written "14d"). In JSON, configuration types use
// [Duration], a time.Duration whose text form is this syntax. A package that
// needs a narrower range (a nurture wait of at most a year and a day) checks
// the parsed value itself.
//
// All types round-trip through JSON; the enumerations implement
// encoding.TextMarshaler and the types a host keeps in an SQL column
// implement sql.Scanner and driver.Valuer.
package lead
