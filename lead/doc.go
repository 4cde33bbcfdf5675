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
// # Validation
//
// [Lead.Validate] reports every problem at once, each with the path of the
// field as it appears in JSON (activities[3].at, budget.currency), so a web
// form or an import can show them all; [Account.Validate] does the same
// for an account and its leads (leads[2].contact.email).
//
// All types round-trip through JSON; the enumerations implement
// encoding.TextMarshaler and the types a host keeps in an SQL column
// implement sql.Scanner and driver.Valuer.
package lead
