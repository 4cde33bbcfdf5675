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
