// Package qualify turns a lead into a decision with a policy of expression
// rules: need goes to sales now, with a response deadline; interest goes to
// nurture; out of scope is recycled or, when final, dropped.
//
// # Policies are data
//
// A policy is a named set of rules, kept by the host CRM as JSON (see
// [Spec] and [ParseSpec]) or built in Go. Compile it once into an immutable
// [Policy], safe for concurrent use, and evaluate leads with [Evaluate] in
// request handlers, or with [EvaluateAll] in back-office jobs:
//
//	policy, err := qualify.CompileJSON(stored) // or qualify.Compile(qualify.DefaultSpec())
//	...
//	d, err := qualify.Evaluate(ctx, policy, &l)
//	switch d.Route {
//	case qualify.RouteSales:   // notify sales: respond by d.Deadline
//	case qualify.RouteNurture: // enrol on a nurture track
//	case qualify.RouteRecycle: // schedule with the recycle package
//	case qualify.RouteDrop:    // final: not a fit, or do not contact
//	case qualify.RouteReview:  // a closed lead asked again: a person decides
//	}
//
// Each [Rule] has a name, a `when` expression, a human-readable reason and
// exactly one effect: an intent (evidence of need or of interest), points
// on a dimension (fit: who they are; engagement: what they did; or a
// named dimension the settings declare, such as "urgency", reported in
// Decision.Scores), or a disqualification with a reason code. [DefaultSpec] is the doctrine as a
// policy, for hosts to copy and adapt; its JSON is [DefaultJSON].
//
// # The rule language
//
// Rules are written in a small language with the syntax of expr
// (github.com/expr-lang/expr). The language is exactly what this section
// lists: Compile refuses anything else, whatever the syntax. Values have
// no Go methods or fields in rules: money, times and strings are used
// through the functions and operators below only.
//
// The environment:
//
//	id, source, owner, stage, lost_reason          string
//	contact.name, .email, .email_domain, .phone,
//	  .title, .role, .time_zone                    string (role: "decision_maker", "influencer", "user", "unknown")
//	company.name, .domain, .industry, .country     string
//	company.employees                              int (0 when unknown)
//	consent.<channel>                              string: "opted_in", "opted_out", "unknown" (consent.email, consent.phone, ...)
//	budget, value                                  money: compare with money("25000", "GBP")
//	expected_purchase, renewal, created_at,
//	  updated_at, now                              time (zero when unknown)
//	activities                                     list of activities: .kind, .at, .asset, .product, .channel, .intent, .attrs
//	interests                                      list of interests: .topic, .first_seen, .last_seen
//	fields                                         the host's custom fields: fields.plan, fields["seats"] (type any)
//
// The members of activities and interests above, keys of maps (fields,
// .attrs, and custom fields that are maps: fields.a.b), and indexes and
// slices of lists and strings (activities[0], s[1:3]) are the only
// members a rule can read.
//
// Helpers, which read like the doctrine and cost nothing per rule: their
// arguments are constants, resolved at Compile, and their values are
// computed once per lead in one pass over its activities.
//
//	count("pricing_request", "30d")   int: activities of a kind within the window ("30d", "2w", "12h", days(30))
//	count("*", "30d")                 int: activities of every kind within the window
//	fresh("demo_request")             bool: an activity of kind within the freshness of its intent
//	                                  (Settings.NeedFresh for need kinds, InterestFresh otherwise;
//	                                  for need, after the lead's last loss)
//	since("demo_request") < days(7)   duration since the newest activity of kind (very long if never)
//	signals("need") > 0               int: fresh activities whose kind has that intent in the
//	                                  policy's vocabulary ("need", "interest", "negative")
//	interested("RoutePlanner")        bool: a fresh interest in a topic or product (case ignored)
//	known(budget)                     bool: budget, value, expected_purchase or renewal is known
//	money("10000.00", "GBP")          an exact amount
//	amount(value) / 1000              the amount of money as a number, for points
//	weeks(2), days(14), hours(12), minutes(30)   durations
//
// len(activities) and len(interests) are counted in the same pass (all
// activities at or before now): like the helpers, they read no list.
//
// A window, like the durations of [Settings] in a policy's JSON
// ("need_fresh": "30d"), is written in the one duration syntax of leadqual,
// described under "Durations" in the lead package's documentation.
//
// Functions:
//
//	any(list, predicate), all(list, predicate), none(list, predicate), one(list, predicate)
//	filter(list, predicate), map(list, expression)
//	find(list, predicate), findIndex(list, predicate), findLast(list, predicate), findLastIndex(list, predicate)
//	len(v), first(list), last(list), type(v)
//	min(a, b, ...), max(a, b, ...), abs(x), ceil(x), floor(x), round(x), int(v), float(v)
//	lower(s), upper(s), trim(s[, chars]), trimPrefix(s, prefix), trimSuffix(s, suffix)
//	hasPrefix(s, prefix), hasSuffix(s, suffix), indexOf(s, sub), lastIndexOf(s, sub)
//
// A predicate is an expression over # (the element; .kind is #.kind) and
// #index. Iterations do not nest, and activities and interests cannot be
// read inside one. An activity or an interest is read through its members:
// it may be iterated, counted, indexed, chosen (find, first, last) and
// compared with nil, but not compared with another, put in a list or a
// map, or passed to a function.
//
// Operators:
//
//	== != < <= > >=              numbers, strings, durations, times; money with money
//	&& || ! and or not           booleans
//	+ - * / % **                 numbers (/ and ** give floats; % takes integers); + joins strings;
//	                             durations add, subtract and multiply by numbers; a time minus a time
//	                             is a duration, a time plus or minus a duration a time; money adds
//	                             and subtracts money of its currency
//	in, not in                   an element of a list, a key of a map
//	contains startsWith endsWith strings
//	matches                      a string against a literal regular expression
//	?: ??                        a condition; a default for nil
//	?.                           a member of a value that may be nil
//
// Arithmetic never gives a wrong number: a division by zero, an integer
// overflow, or a result that is not a finite number fails the rule with an
// [*ArithmeticError] (errors.Is(err, [ErrArithmetic])), and Compile refuses
// constants that would. An activity's intent is its kind's default
// (lead.Kind.Intent), unless Settings.Intents overrides it. Activities
// after `now` are ignored. Nothing a rule can reach depends on the machine:
// `now` is the caller's, and times are compared as instants, never in a
// time zone.
//
// For accounts (see "Accounts" below), helpers read the buying group's
// aggregates, in the same way:
//
//	contacts() >= 3                   int: the account's contacts judged (1 for a lead alone)
//	engaged() >= 3                    int: contacts with a fresh need or interest signal
//	people("need") >= 2               int: contacts with a fresh signal of that intent
//	reached("decision_maker")         bool: an engaged contact holds the role
//	                                  ("decision_maker", "influencer", "user")
//	roles() >= 2                      int: the roles engaged contacts hold
//
// # One vocabulary
//
// What each activity kind means (need, interest, negative or none; a touch
// by marketing or sales), how long each intent stays fresh and how soon
// need is answered are the policy's settings (Settings.Intents, Touches,
// Descriptions, NeedFresh, InterestFresh, ResponseDeadline), on top of the
// lead package's catalogue. Compile builds them into a [Vocabulary], which
// [Policy.Vocabulary] returns and the nurture planner, the neglect audit
// and the recycle classifier take as their configuration: there is no
// second place to set them, so the packages cannot disagree.
//
// The default policy derives need and interest from the vocabulary: its
// need rule is signals("need") > 0 with the reason "{need}", which names
// the newest fresh need activity in the policy's words ("asked for a
// quote", or a host kind's description). Declaring "callback_request" need
// in the settings is enough to send such leads to sales. A host may still
// write explicit rules (fresh("pricing_request") with intent need): rules
// only add evidence, so a kind re-classed in the settings stops counting
// through the vocabulary rules but still counts through an explicit rule
// that names it; delete that rule too. A reason may name the newest fresh
// activity of one intent with {need} or {interest}; the phrases are
// resolved at Compile and cost nothing per evaluation.
//
// # Response hours
//
// Need is answered in minutes, but only while someone is there to answer.
// Settings.ResponseHours gives the sales team's working days, hours,
// holidays and time zone (lead.WorkingHours, the module's one calendar);
// response deadlines then count working time only, so five minutes from
// 16:58 end at 09:03 the next working morning. Need that arrives while the
// team is away follows Settings.OffHours: OffHoursOpening (the default)
// makes it due the deadline after the next opening (a pricing request at
// 02:00 on a Sunday is due at 09:05 on Monday); OffHoursOnCall keeps it on
// the clock (due at 02:05) for whoever is on call, and the assign package
// gives such need to the on-call people. [Vocabulary.Deadline] is the one
// computation of a deadline: Decision.Deadline, the nurture planner's
// hand-off and the neglect audit all call it, and Decision.OutsideHours
// and the audit's breaches say which need arrived outside the hours.
//
// # The sales work queue
//
// Every decision says what kind of sales work it is ([Decision].Priority:
// need, review, marketing-qualified, the pipeline, or none) and carries
// the lead's potential value ([Decision].Value). [Policy.SortQueue] orders
// decisions into a work queue as of a time the caller gives, by the keys
// of Settings.Queue (see [DefaultQueue] and [QueueBy]): by default need
// first, leads still within their deadline before late ones, and within
// each the highest potential value first, then the nearest deadline, the
// newest need and the best fit. Values in different currencies are
// weighed only through the rates the host passes (lead.Rates); an unknown
// value, or one no rate converts, ranks after every known value, never
// guessed. What Evaluate cannot know (the time of the queue, today's
// rates) is supplied when the queue is sorted, so Evaluate stays as cheap
// as before.
//
// # Unknown is not no
//
// Sparse data is normal data. A rule that reads a custom field the lead
// does not have (fields.pages_per_visit > 2), or compares an amount the
// lead does not state (budget >= money("10000", "GBP") without a budget),
// cannot be judged: by default (Settings.OnUnknown = UnknownSkip) it does
// not match, earns nothing, fails nothing, and [Decision].Unjudged lists
// it with the input, so that a backtest counts how often each rule could
// not be judged. UnknownFail makes it a [*RuleError] wrapping
// [ErrUnknownInput] instead, for hosts whose data must be complete.
// Comparing a missing field for equality (fields.vip == true) is judged:
// it is false. A type confusion (a string where a number is compared) is
// not unknown data but a wrong rule or wrong data: it is reported as a
// failure, by rule and field.
//
// Money compares exactly whatever the scale (25000.00 equals 25000), and a
// comparison across currencies is an error, not false. With the default
// OnErrorFail, a rule that fails at run time makes Evaluate return a
// [*RuleError] naming the rule; with OnErrorSkip the rule counts as not
// matched and [Decision].Failures lists it.
//
// Compile type-checks every expression against the environment and
// reports every problem at once in a [*CompileError], each with the rule,
// the field, and the line and column: unknown names, a `when` that is not a
// boolean, points that are not a number, duplicate names, an empty policy.
//
// # Precedence
//
// Do not contact beats everything: a matched do-not-contact rule, or the
// lead's lost reason do_not_contact, drops the lead whatever it did since.
//
// Fresh need beats a stale lost reason. A loss answers every request made
// before it: for a lead whose History records a move into lost, recycled
// or disqualified, only need after the latest such move is fresh
// ([lead.Lead.LostAt]; a lead imported already lost, with no dated loss,
// keeps all its fresh need, for an unanswered request costs more than a
// wasted call). Fresh need then reopens a lead set aside for any reason:
// out of scope by a disqualify rule (a preferred supplier, offshoring),
// lost or recycled for not now, no budget, no decision maker,
// unresponsive, stonewalled or a host's own reason; it goes to sales with
// the deadline, Decision.Reopened names the reason it outranked, and
// Decision.Note says it in words ("asked for a quote after being lost to a
// preferred supplier"). A lead closed for good (a final disqualify rule:
// not a fit or a code in Settings.Final; or stage disqualified) that asks
// again goes to [RouteReview]: the library neither sends a closed lead to
// sales on its own nor drops a request unread; a person decides.
//
// Otherwise out of scope beats need, need beats interest: a matched
// disqualify rule makes the verdict out of scope (route drop for a final
// reason, recycle otherwise); else a need rule makes it need (route sales,
// with the deadline); else a lead whose fit and engagement both reach the
// marketing-qualified thresholds is Qualified and routed to sales; a lead
// already in sales' hands stays there; interest is nurtured; a lost or
// recycled lead with no new signal stays in recycling; anything else is
// nurtured. Decision.NextStage is always a legal move (lead.CanMove) or the
// current stage.
//
// # Product lines
//
// A business that sells several product lines declares them in the
// settings (Settings.ProductLines), each with the activity products and
// interest topics that belong to it. Every evaluation then also judges
// each line the lead is in (by an activity, an interest, or a funnel in
// lead.Lead.Lines) on its own, in Decision.Lines: the same rules over a
// view of the lead that holds the line's activities and interests and
// stands at the line's funnel (its stage, lost reason and history). Each
// line has its own verdict, route, scores, deadline and next stage, on the
// one transition table: a lead won on one line is open on the others, and
// interest in another line starts that line's funnel. A line's loss
// answers the requests about that line made before it, in the line's
// decision and in the lead's as a whole; the lead's own loss answers them
// all. The lead's do not contact applies
// to every line; its other lost reasons stay with its implicit line, and
// a host closes a product line with that line's own lost reason.
//
// Decision itself still judges the lead as a whole (every activity, the
// lead's own Stage, LostReason and History), exactly as for a policy
// without lines, which pays nothing for them. Activities whose product
// belongs to no line count only there. The nurture planner and the
// recycle scheduler read the lines from the same settings, through
// [Vocabulary.Line].
//
// # Accounts
//
// [EvaluateAccount] judges a lead.Account, a company and its contacts'
// leads, as B2B teams sell: need anywhere in the group routes the account
// to sales with the contact who showed it; the contacts' scores roll up
// by Settings.Account.Rollup (fit the highest, the others summed); the
// buying group reports who is engaged and which roles of
// Settings.Account.Roles are reached or missing ("no decision maker
// reached: reach the sales, finance or managing director"). A rule that
// reads the account aggregates (engaged() >= 3) is an account rule: it
// runs once for the account, and may read besides only what the account
// has (its id, owner, stage, lost reason, company, value, dates). Evaluate
// runs account rules too, on the lead as an account of one, so one policy
// serves both.
//
// # Bounded cost
//
// No rule can hang or exhaust its host. Before expr parses a rule, its
// text is bounded in size and bracket depth (a million nested parentheses
// would otherwise end the host with a stack overflow); its syntax tree is
// bounded in depth and nodes. Then Compile estimates each rule's
// worst-case cost on the largest lead the policy's [Limits] admit, in the
// spirit of cel-go's cost estimator: every function and operator costs in
// terms of the sizes of its inputs (bytes of a string, elements of a list),
// iterations multiply their body by the elements, and a regular expression
// costs its program size times the text. A rule over Limits.MaxRuleCost,
// or a policy over Limits.MaxPolicyCost, is refused with a [*LimitError]
// naming the rule, its cost and its largest term; a pattern whose program
// would exceed Limits.MaxRegexProgram is refused before it is compiled. A
// cost unit is about a nanosecond of work: the default budget keeps the
// most expensive policy it admits under 50 ms on the largest lead the
// default limits admit (BenchmarkWorstCase).
//
// At Evaluate, a lead beyond the limits is refused with a [*LimitError]
// before any rule runs. The rules that run in expr's VM are guarded: what
// depends on the size of its inputs charges that size as it runs, each
// element of an iteration charges its fixed cost, and the guard looks at
// ctx every tenth of a millisecond of work, so that a cancelled evaluation
// stops within about that, inside iterations as well as between rules, and
// returns ctx's error. No rule runs past its estimate. The corpus in
// testdata/hostile shows each attack and what stops it.
//
// # Speed
//
// Rules of the common shapes are compiled to typed Go closures that read
// the lead and the helpers' results directly: helpers, variables and
// custom fields compared with constants, `in` lists, money compared with
// money, times and durations, startsWith, endsWith and contains, integer
// and float arithmetic, min and max, joined by && and ||. A comparison of
// a slot or an enumeration (contact.role, stage, consent.<channel>) with a
// constant is one closure. Everything else runs in expr's VM, over an
// environment filled only when such a rule runs, that holds only what
// those rules read; its view of the activities and interests is the lead's
// own lists (nothing is copied), their members read by accessors. The two
// paths agree, and a test and a fuzz target hold them to it: where a value
// is not what the closures model (a custom field of a surprising type, an
// amount in another currency), the rule runs in the VM, which has the last
// word.
//
// An evaluation allocates its Decision's list of matched rules and, in the
// common case, nothing else. A loop that is done with each Decision before
// the next (writing it out with [Decision.AppendJSON], tallying it) can
// judge into one Decision with [EvaluateInto], which reuses that list and
// allocates nothing: the garbage collector then has no share in the loop's
// time, which on a busy machine is most of the difference. See BENCHMARKS.md at the repository root (or
// run ./.ci/bench) for the figures and the command that produces them.
package qualify
