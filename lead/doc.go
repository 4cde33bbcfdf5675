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
// form or an import can show them all.
//
// All types round-trip through JSON; the enumerations implement
// encoding.TextMarshaler and the types a host keeps in an SQL column
// implement sql.Scanner and driver.Valuer.
package lead
