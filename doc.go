// Package leadqual is an embeddable library for sales-lead qualification.
// This package holds no code: it is the overview. The work is done by the
// packages below it.
//
// # Interest is the counterfeit of need
//
// A prospect reading a white paper is interested; a prospect asking for a
// price needs something. leadqual turns a lead (who they are, what they
// did, what they consented to) into a decision:
//
//   - Need goes to sales at once, with a response deadline: the odds of
//     reaching a lead fall about a hundredfold between five and thirty
//     minutes.
//   - Interest goes to marketing, into a permission-based nurture track that
//     moves from the general (the problem) to the specific (our product),
//     and stops the moment need appears or consent is withdrawn.
//   - A lost or "not now" lead is recycled on a schedule that depends on why
//     it was lost, and woken early by a new interest in something we also
//     sell; fresh need after the loss sends it straight back to sales. Only
//     a true non-fit or a do-not-contact request is final (and a closed lead
//     that asks again is put in front of a person, never dropped unread).
//   - Nothing is neglected: every lead has a potential value, sales' work is
//     queued need first and fastest and weighed by that value (at the host's
//     own exchange rates), every lead of it gets an owner by the team's rules
//     and need nobody answers climbs to the team lead and the manager; an
//     audit finds the need leads nobody answered, the prospects nobody
//     touched and the interest nobody nurtures, owner by owner.
//
// # Packages
//
//	lead      the vocabulary: Lead, Activity, Kind, Intent, Stage, Money, Rates, Consent,
//	          Reason, WorkingHours
//	qualify   a policy of expression rules, compiled once, evaluated per lead
//	nurture   the next permission-based touch, and the neglect audit
//	recycle   reasons, horizons, and a scheduler over a host-supplied Store
//	match     leads grouped into accounts by company domain, duplicates found for lead.Merge
//	assign    owners for sales' work by the host's rules, and escalation
//	          of need nobody answers, over a host-supplied State
//	ingest    leads from JSON lines and CRM exports (Salesforce, HubSpot, Odoo, Mautic, any CSV)
//	          through one mapping language, with a dry run of what it does not translate
//
// B2B teams sell to companies, to several people in them, and more than
// one product. A lead keeps a funnel per product line (lead.Funnel) beside
// its own, so a customer of one line is a prospect for another; an
// account (lead.Account) groups the leads of one company, and
// qualify.EvaluateAccount judges it as one buying group: need anywhere
// goes to sales through the contact who showed it, and the decision names
// the roles reached and those missing. The product lines are declared in
// the qualify policy, like everything activities mean.
//
// What each activity means (need, interest, negative, none), how long it
// stays fresh and how soon need is answered, in which working hours, are
// said once, in the qualify policy's settings, and every package reads
// them from the compiled policy (qualify.Policy.Vocabulary): qualify's
// verdicts and deadlines, the nurture planner's hand-off, the neglect
// audit, the recycle classifier and assignment's on-call rule agree by
// construction. Working hours and holidays are one calendar
// (lead.WorkingHours), for the sales team's response deadlines and the
// recycle scheduler's due times alike.
//
// Rules are expressions (github.com/expr-lang/expr) that a CRM stores as
// data; money is decimal (github.com/shopspring/decimal); time always comes
// from the caller, so every decision is reproducible; storage always
// belongs to the host.
//
// Every package speaks the same way: durations are written one way
// ("30d", "2w", "1d12h"; see "Durations" in the lead package), every
// refused input is reported as *lead.FieldError values naming the field
// (its JSON path, and its line and column when it comes from a document),
// which errors.As reaches through any package's error while errors.Is
// matches that package's sentinel, and every error message starts with the
// name of its package ("qualify: ", "nurture: ", "recycle: ", "lead: ").
//
// # A first lead
//
//	l := lead.Lead{
//		ID:      "L-1001",
//		Contact: lead.Contact{Email: "ada@example.co.uk", Role: lead.RoleDecisionMaker},
//		Value:   lead.MustParseMoney("50000.00", "GBP"),
//		Activities: []lead.Activity{
//			{Kind: lead.KindPricingRequest, At: now.Add(-10 * time.Minute)},
//		},
//	}
//	if err := l.Validate(now); err != nil {
//		// every problem, each with its field path
//	}
//	err := l.MoveTo(lead.StageSalesAccepted, now, "asked for pricing")
//
// The examples directory holds complete programs a host can copy.
package leadqual
