// Package backtest proves a qualify policy against history before it is
// switched on: does it really separate need from interest, on our own
// leads? A team that never reviews its methods neglects its leads; this
// package is the review.
//
// # A history
//
// History is a stream of [Record]s: a lead as the CRM holds it today, the
// time its decision would have been made, and what became of it
// (converted or not, and the value won, as lead.Money):
//
//	history := []backtest.Record{
//		{Lead: l1, At: decidedAt1, Converted: true, Won: lead.MustParseMoney("12000.00", "GBP")},
//		{Lead: l2, At: decidedAt2},
//	}
//
// Any iter.Seq[Record] will do: slices.Values(history), a database cursor
// wrapped in a function, or a file read by a [Reader] in JSON lines
// ([JSONLines]) or a CRM's CSV export read through a mapping of package
// ingest ([CSV], [Ingest]: the same mapping language, presets and messy
// export handling as every command, outcome and after-the-fact columns
// never read into a lead):
//
//	r := backtest.NewReader(f, backtest.JSONLines(), backtest.ReadOptions{})
//	report, err := backtest.Run(ctx, policy, r.All(), backtest.Config{})
//	if err == nil {
//		err = r.Err() // as with a bufio.Scanner
//	}
//
// Input that does not parse is a [*LineError] naming the line and column
// (errors.Is(err, ErrInput)), through which errors.As reaches every
// *lead.FieldError; ReadOptions.MaxBad lets a few bad lines be skipped
// and listed instead. [Check] is the dry run of one record: what a
// backtest would refuse in it, without judging it.
//
// # A backtest
//
// [Run] judges every lead with the policy as it was at its decision time
// and returns a [Report]:
//
//   - per verdict and per route (and for the marketing-qualified leads):
//     leads, conversions, conversion rate (the route's precision), lift
//     over the base rate, recall (the share of all conversions), and the
//     value won, one amount per currency (amounts in different currencies
//     are never added);
//   - the lift of need over interest, which the doctrine says is large;
//   - for the engagement score, the fit score, their sum and the decision's
//     ranking: conversion by decile (ten bands of equal count) and the area
//     under the ROC curve (ties count one half) with its 95% bootstrap
//     interval; with Config.Model, a reliability curve;
//   - per lost reason, the recycle curve (see Recycled leads);
//   - per rule: how often it fired, the conversion rate when it fired and
//     when it did not, the lift, a z statistic, and the findings: rules
//     that never fire, fire on every lead, or work against their purpose
//     (a need rule or positive points whose leads convert less than the
//     rest; a disqualification or negative points whose leads convert more).
//     A points rule is judged among the leads the scores decide
//     (Report.Scored: neither need nor out of scope), because need leads
//     convert most and would make any rule they rarely fire with look
//     harmful;
//   - the records that could not be judged, with the rule and the reason
//     (a failing rule, a lead beyond the policy's limits, a record without
//     a decision time), counted by cause, the first ones listed.
//
// [Report.WriteText] prints it as a readable table; its JSON form is stable.
//
// # Two policies side by side
//
// [Compare] judges the same history with two policies, A and B, and
// returns both reports and a [Comparison]: the verdict and route transition
// tables (from A to B, with their conversions, so one sees whether B sends
// the leads that convert to sales), how many leads changed, and a bounded
// sample of the changed leads with the rules added and removed.
//
// # Calibration
//
// [Calibrate] proposes a new policy from history, and never changes the
// one it is given:
//
//   - points for every points rule at once, from a logistic regression of
//     conversion on the rules' values (1 when a rule fires; an expression's
//     points over their average when it fires) and the verdicts (need, out
//     of scope), fitted by Newton's method on the distinct combinations of
//     rule values (a few thousand, however many leads), with an L2 penalty
//     chosen by 5-fold cross-validation (CalibrationConfig.Penalty). Fitted
//     together, two rules that fire on the same leads (over 500 seconds on
//     the site, over 1000) share the credit instead of both taking it in
//     full; each weight is scaled by PointsPerDoubling / ln 2 and rounded
//     to whole points (an expression is scaled, `(expr) * k`), so that
//     every point is still one rule's and a lead's total reads as log-odds.
//     [PointsChange] shows each rule's weight fitted with the others beside
//     its weight alone;
//   - a [Model] that reads the proposal's decisions as probabilities
//     (intercept, log-odds per point, need and out-of-scope terms), fitted
//     with the rounded points; its held-out reliability curve shows whether
//     the probabilities hold, and Config.Model checks them on later history;
//   - marketing-qualified thresholds: of the pairs (fit, engagement) that
//     qualify enough leads (MinSupport) at the target precision (MQLPrecision)
//     or better, the one that qualifies the most conversions, written with
//     the fewest decimals that qualify the same fitting leads, and reported
//     with their precision and recall on the fitting part and on the held-out
//     part. When no pair reaches the target, none is proposed (Fit and
//     Engagement undefined): the report says so and how near any came, and
//     the proposal's settings are set above every score seen, so that no
//     lead qualifies on scores alone. A threshold of 0 reads as "the
//     default" in a policy's settings, so a proposed 0 is written as a number
//     between the next lower score and 0 (-0.5 for whole points);
//   - with NeedPrecision, need rules whose precision cannot reach it (the
//     upper bound of its 95% Wilson interval is below) become interest;
//   - a yardstick ([Yardstick]): a logistic regression on every rule of the
//     policy (need, interest and disqualify rules included), fitted the same
//     way and scored on the held-out part. The proposal's "decision" AUC
//     there is to be read beside it; a gap is what the policy's structure
//     costs (need first, out of scope last, no points for interest), and
//     the yardstick's weights of those rules show where.
//
// It fits on one part of the history and reports on the other, split by a
// hash of the lead ID ([HeldOut]), so that reruns agree and a lead decided
// several times stays on one side. The result is a [Calibration]: the
// proposed [qualify.Spec] (same JSON form; every rule keeps its name,
// `when` and reason, so every point still traces to a named rule), the
// change of every rule and threshold, the model, the yardstick, and the
// current and proposed policies side by side on the held-out part.
//
// On planted-truth histories with overlapping and correlated rules (the
// tests' testdata/planted), the proposal's held-out AUC is within 0.01 of
// the yardstick's and within 0.02 of the truth's own.
//
// # Every lead, and the decision itself
//
// A report judges the decision, not only the scores: each verdict and
// route has its precision (Group.Rate: of the leads it received, the share
// that converted), its recall (Group.Recall: of all conversions, the share
// it received) and its lift; the sales route's pair is printed first. The
// "decision" score ranks the leads as the policy treats them (need first,
// out of scope last, the rest by total) and every AUC has a 95% bootstrap
// interval (Config.Bootstrap).
//
// Config.Leads receives every record as judged, in history order whatever
// the number of workers: a [LeadResult] with the lead's ID, verdict, route,
// scores, matched and unjudged rules, outcome and (in a calibration) split.
// [LeadWriter] writes them as JSON lines or CSV, for a host to join back to
// its CRM and compute what it likes.
//
// # Recycled leads
//
// Report.Recycled follows the leads that were lost or recycled at their
// decision time, per lost reason: the share that converted by each time
// since the recycle ([RecycleCurve], a Kaplan–Meier estimate, so that a
// lead recycled a month before the end of the history counts for a month),
// beside the reason's horizon (Config.Horizon: package recycle's, which the
// package does not import). A horizon after most of a reason's conversions
// calls too late; one long before them calls in vain.
//
// # As it was at the time
//
// A backtest must not let the future leak into a verdict: a lead that
// converted has calls, meetings and a stage of won recorded after its
// decision time, and judging the lead as it is today would find them.
// qualify.EvaluateAt already ignores activities after `now`; before it
// runs, each lead is rewound to its decision time ([AsOf]), on a copy:
//
//   - activities after it are dropped, and undated ones (they cannot be
//     placed before it; Config.KeepUndated keeps them);
//   - stage moves after it are dropped, and the stage becomes the one the
//     remaining history gives (the `to` of the last move before it, else
//     the `from` of the first move after it). A lead without a history keeps
//     its stage if it was not updated since (or is new); if it was updated
//     since, its stage then is unknown and is taken to be new. This
//     matters: qualify keeps a lead in sales' hands (an opportunity, a won
//     deal) with sales, which would route every lead that converted to
//     sales. A lead that nothing dates (no history, no updated_at) keeps
//     its stage and lost reason, counted in RewindStats.StagesUndated and
//     flagged in the report, so that a recycled lead of an undated export
//     still recycles; one won today is the exception, taken as new (and
//     counted), since its stage is its outcome;
//   - the lost reason is kept only when the stage is known not to have
//     changed since, or when the move that set the stage at the decision
//     time records that very reason: a "not a fit" recorded after a lost
//     deal is a later reason, and would disqualify the lead in hindsight;
//   - interests first seen after it are dropped; one first seen before and
//     last seen after is moved back to the newest evidence at or before it
//     (an activity about the topic, else its first sighting); undated ones
//     are dropped unless Config.KeepUndated (qualify counts them as fresh);
//   - consents recorded after it become unknown (what they were before is
//     not recorded);
//   - updated_at after it is moved back to the newest time recorded at or
//     before it; a lead created after it did not exist yet, and the record
//     is an error.
//
// The report's [RewindStats] count each of these: how much would have
// leaked.
//
// What a backtest cannot know is what the lead does not date: the
// contact's role and title, the company's size, the budget, the value,
// the expected purchase and renewal dates, the source, the owner and the
// custom fields are taken as they are today. Some of them are learnt in
// the sales conversation (a role confirmed, a budget stated), so they
// favour the leads that reached it: rules that read them look better in a
// backtest than they will be. A host that keeps an audit log restores them
// with Config.AsOf, a function called on each rewound copy with the
// decision time. The outcome itself must be what became of the lead after
// its decision time, not before.
//
// # Bounded memory, exact or bounded precision
//
// A backtest ranges over its history once (a calibration three times),
// and its memory does not grow with the number of leads: counts per
// verdict, route and rule, a fixed-size histogram per score, the first
// Config.MaxErrors errors and Config.MaxChanges changed leads per pair of
// routes, the recycle curves' counts by day, and for a calibration the
// distinct combinations of rule values (at most
// CalibrationConfig.MaxPatterns). Lead results wait for the batches before
// them, a bounded number. While a score takes at most Config.Bins distinct values (the sums
// of a policy's constant points take a few dozen), its deciles and AUC are
// exact. Beyond, the histogram's bins become aligned intervals of a width
// that is a power of two, the smallest that keeps at most Config.Bins of
// them; pairs of leads in one interval count as ties, and Score.AUCError
// bounds the error that makes (half the share of converted/unconverted
// pairs that share an interval). The histogram depends only on the set of
// scores, so the report is the same whatever the order of the history and
// the number of workers (Config.Workers), and sums of points are kept in
// exact fixed point for the same reason.
//
// # Speed
//
// On one core, with the default policy (and the noise rule of the tests)
// over a synthetic history of 100,000 leads, a backtest takes about
// 0.16 to 0.18 s: about 1.7 µs a lead, of which qualify.EvaluateAt is
// 1.3 µs; the rewind and the report add the rest, and one allocation a
// lead beyond evaluation's, for the exact sum of the won values. The
// benchmarks compare Run with a plain hand-written yardstick (drop the
// later activities and stage moves into reused buffers, evaluate, count
// verdicts, routes, rules and score values in arrays and maps), run right
// after it in the same benchmark, so that both see the same machine:
//
//	go test -run '^$' -bench . -benchmem -cpu 1 -count 3 ./qualify/backtest/
//
//	BenchmarkRun/leads=100000        7  157-183 ms/op  1568-1825 ns/lead  1.01-1.29 x-yardstick  32 MB/op  291k allocs/op
//	BenchmarkYardstick/leads=100000  8  147-157 ms/op  1472-1573 ns/lead                          31 MB/op  200k allocs/op
//	BenchmarkEvaluate/leads=100000  10  128-131 ms/op  1282-1307 ns/lead                          31 MB/op  200k allocs/op
//
// (Intel Xeon, 2 shared and busy cores, go1.26: compare the x-yardstick
// ratio, which both halves of one run share, rather than the absolute
// figures.) With Config.Workers above 1, the history is read on the
// caller's goroutine and judged in batches on the others.
//
// # Errors
//
// Run, Compare and Calibrate return an error only for a bad configuration
// (ErrConfig, naming the field), a nil policy (ErrNilPolicy), a context
// that ended (with its cause), a history without signal to calibrate on
// (ErrNoSignal), with more combinations of rule values than a calibration
// keeps (ErrTooManyPatterns) or that changed between passes
// (ErrHistoryChanged), or the error of Config.Leads. A record
// that cannot be judged is not an error of the run: it is counted in the
// report, as a [LeadError] that unwraps to its cause (a *qualify.RuleError,
// a *qualify.LimitError, a [*RecordError]).
package backtest
