package qualify

import (
	"fmt"
	"regexp/syntax"
)

// regexProgram returns the size, in instructions, of the program a
// pattern compiles to, refusing a pattern that does not parse or whose
// program exceeds limit. A pattern's program can be vastly larger than its
// text (`([a-z]|x){1000}y` is 18 bytes), so its size is first bounded from
// the syntax tree, and only a pattern within a small multiple of the limit
// is compiled to be measured exactly.
func regexProgram(src string, limit int) (int, error) {
	re, err := syntax.Parse(src, syntax.Perl)
	if err != nil {
		return 0, fmt.Errorf("invalid pattern: %w", err)
	}
	ceiling := 4*limit + 16
	if n := regexSize(re, ceiling); n > ceiling {
		return 0, &LimitError{Limit: "MaxRegexProgram", Max: limit, Got: n, Where: "pattern " + clip(src) + " (at least)"}
	}
	prog, err := syntax.Compile(re.Simplify())
	if err != nil {
		return 0, fmt.Errorf("invalid pattern: %w", err)
	}
	if n := len(prog.Inst); n > limit {
		return 0, &LimitError{Limit: "MaxRegexProgram", Max: limit, Got: n, Where: "pattern " + clip(src)}
	}
	return len(prog.Inst), nil
}

// regexSize approximates the instructions a parsed pattern compiles to,
// saturating just past ceiling so that nested repetitions cannot overflow.
func regexSize(re *syntax.Regexp, ceiling int) int {
	sat := func(n int) int { return min(n, ceiling+1) }
	subs := func() int {
		n := 0
		for _, s := range re.Sub {
			n = sat(n + regexSize(s, ceiling))
		}
		return n
	}
	switch re.Op {
	case syntax.OpLiteral:
		return sat(len(re.Rune))
	case syntax.OpCapture:
		return sat(2 + subs())
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest:
		return sat(2 + subs())
	case syntax.OpRepeat:
		n := max(re.Max, re.Min, 1)
		return sat(sat(subs()*n) + n + 1)
	case syntax.OpConcat:
		return subs()
	case syntax.OpAlternate:
		return sat(subs() + len(re.Sub))
	}
	return 1
}
