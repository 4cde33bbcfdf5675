// Package bench holds leadqual against its peers: one policy of 20 rules,
// the same decisions, four implementations.
//
//   - Handwritten: the policy written in plain Go as a careful engineer
//     would, knowing it at compile time: one pass over the activities into
//     per-kind counters in fixed slots, then the rules as if statements.
//     The limit: no rule engine can beat it.
//   - Leadqual: the policy as data (JSON), compiled by qualify.Compile and
//     evaluated by qualify.EvaluateAt; and, as a loop that is done with each
//     decision before the next, by qualify.EvaluateInto into one reused
//     Decision (Leadqual.Reusing).
//   - Expr: the same rules for expr (github.com/expr-lang/expr) used as a
//     host would use it: the lead's fields in an environment struct, the
//     helpers (count, signals, fresh, since) as its methods, written in Go
//     once for every policy, scanning the activities when called.
//   - CEL: the same rules for cel-go (cel.dev/cel-go), with the same
//     helpers as member functions of an opaque lead value, over an
//     activation that allocates nothing.
//
// The peers see the same policy, as each language writes it (see
// policy.go), and the same Go helpers; TestPeersAgree holds them to the
// same decision (the matched rules, fit and engagement) on thousands of
// random leads. BenchmarkPeers times them in alternating blocks, so that
// all see the same load on a busy machine, and reports each one's time and
// their ratios; `go run ./cmd/compare` prints the table of BENCHMARKS.md
// (medians and ranges of interleaved rounds).
//
// The module is apart from leadqual's own, so that cel-go and its
// dependencies never reach a program that imports leadqual.
package bench
