// Package assign gives sales leads owners and escalates need nobody
// answers: the people side of the doctrine. "Sales team must properly
// distribute its workforce to take care every sales prospect" ("Stop
// Neglecting Sales Leads"): every lead with need gets an owner at once, by
// rules the host keeps as data, and need that waits past its deadline
// climbs a ladder until someone answers it.
//
// # Rules are data
//
// [Rules] name the people, their teams, the rules that route leads to
// them, who is on call and the escalation ladder; a host keeps them as
// JSON ([ParseRules] decodes them strictly and names every problem's
// field) and compiles them with [New] into an immutable [Assigner]:
//
//	rules, err := assign.ParseRules(stored)
//	...
//	a, err := assign.New(assign.NewMemState(), assign.Config{Rules: rules, Vocabulary: policy.Vocabulary()})
//	...
//	d, _ := qualify.Evaluate(ctx, policy, &l)
//	if d.Route == qualify.RouteSales {
//		res, err := a.Assign(ctx, assign.Request{Lead: &l, Decision: &d}, now)
//		// res.Owner answers by d.Deadline; res.Reason says why them
//	}
//
// # Who gets a lead
//
// Relationships first: the owner of the lead's account
// (Request.AccountOwner), then the lead's own owner, keep it when they are
// present and have room. Need that arrives outside the team's response
// hours, under a policy that answers it on call
// (qualify.OffHoursOnCall), goes to the on-call people. Otherwise the
// first rule whose conditions hold (territory by country, product, the
// prospect's language, industry, the kind of sales work) and that has an
// eligible person chooses among its people: the least loaded, or in turn
// (round robin). A person is eligible when they are not away (out of
// office periods) and hold fewer open leads than their capacity.
//
// Every assignment carries its reason ("rule \"dach\" (country DE): least
// loaded of 2: lena 3 open, jan 5 open; passed over max away until 30 Nov
// 2026 00:00 UTC"), and assignment is deterministic: the same rules, the
// same state and the same lead give the same owner and the same reason.
// When nobody is eligible, the error wraps [ErrNoOwner] and says why,
// person by person; the neglect audit (package nurture) reports such
// leads as need with no owner.
//
// # State belongs to the host
//
// Who holds how many leads, and each lead's assignment, live in a [State]
// the host implements over its own database, like recycle.Store; the
// package ships [MemState] in memory, and the package assigntest is the
// conformance suite a host runs against its own. The State keeps
// capacities under concurrency (two assignments racing for the last place
// of an owner's capacity never both succeed: the loser is chosen again),
// and versions every record so that conditional writes detect a change.
// Calling Assign for a lead that has an owner returns it unchanged.
//
// # Escalation
//
// A need not answered by its deadline climbs the ladder (Rules.Escalation,
// default [DefaultLadder]): the owner at the deadline, their team lead 30
// minutes later, their manager 2 hours later. [Assigner.Escalate] takes the
// steps that have come due, records them with the assignment and returns
// them as [Notice]s for the host to send; each step is taken once, however
// often and from however many schedulers it is called. A host drives it
// from its scheduler with each decision's deadline, or from the neglect
// audit's breaches ([Assigner.EscalateBreaches]).
//
// # Performance
//
// BenchmarkAssign10kLeads50Owners assigns 10,000 leads among 50 owners
// by four rules (territory, product, language, catch-all) over MemState,
// beside BenchmarkAssignYardstick, the same choice written by hand over
// a slice of counters. See BENCHMARKS.md at the repository root for the
// figures and the command.
package assign
