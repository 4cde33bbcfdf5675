package qualify

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/leadqual/leadqual/lead"
)

// scoring is what a policy scores and how an account adds it up: the
// dimensions (fit and engagement at 0 and 1, the named ones after them,
// in the order the settings declare them), the roll-up of each, and the
// roles of a buying group.
type scoring struct {
	named  []Dimension // score 2+i
	rollup []Rollup    // by score index
	roles  []lead.Role // Settings.Account.Roles, or the default
	// accountRules reports rules that read account aggregates; slots
	// reports any account aggregate slot.
	accountRules bool
}

// The score indexes of the built-in dimensions.
const (
	scoreFit = iota
	scoreEngagement
	scoreNamed // the first named dimension
)

// maxDimensions bounds the named dimensions of a policy.
const maxDimensions = 32

// checkScoring checks the named dimensions, the product lines and the
// account settings, and records what the policy scores.
func (c *compilation) checkScoring(s Settings) {
	sc := &c.scoring
	for i, d := range s.Dimensions {
		field := fmt.Sprintf("settings.dimensions[%d]", i)
		switch {
		case d == DimensionFit || d == DimensionEngagement || d == "none":
			c.problem("", field, "%q is built in: declare only dimensions beyond fit and engagement", d)
		case !validDimension(string(d)):
			c.problem("", field, "%q is not a dimension name (lower-case letters, digits and _, starting with a letter, at most 64 bytes)", clipKind(lead.Kind(d)))
		case slices.Contains(sc.named, d):
			c.problem("", field, "%q is declared twice", d)
		default:
			sc.named = append(sc.named, d)
		}
	}
	if len(s.Dimensions) > maxDimensions {
		c.problem("", "settings.dimensions", "%d dimensions: at most %d", len(s.Dimensions), maxDimensions)
	}
	sc.rollup = make([]Rollup, scoreNamed+len(sc.named))
	sc.rollup[scoreFit] = RollupMax
	for _, d := range slices.Sorted(maps.Keys(s.Account.Rollup)) {
		r, field := s.Account.Rollup[d], "settings.account.rollup."+string(d)
		i := c.scoreIndexOf(d)
		switch {
		case i < 0:
			c.problem("", field, "unknown dimension %q (%s)", clipKind(lead.Kind(d)), c.dimensionsText())
		case r > RollupMax:
			c.problem("", field, "unknown roll-up %d", uint8(r))
		default:
			sc.rollup[i] = r
		}
	}
	for i, r := range s.Account.Roles {
		field := fmt.Sprintf("settings.account.roles[%d]", i)
		switch {
		case !r.Valid() || r == lead.RoleUnknown:
			c.problem("", field, "%s is not a role a buying group can reach (decision_maker, influencer, user)", r)
		case slices.Contains(s.Account.Roles[:i], r):
			c.problem("", field, "%s is listed twice", r)
		}
	}
	sc.roles = buyingGroupRoles(s.Account.Roles)
	c.checkProductLines(s.ProductLines)
}

func validDimension(s string) bool {
	if s == "" || len(s) > 64 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if ch := s[i]; !(ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' || ch == '_') {
			return false
		}
	}
	return true
}

// scoreIndexOf returns the score index of a dimension, or -1.
func (c *compilation) scoreIndexOf(d Dimension) int {
	switch d {
	case DimensionFit:
		return scoreFit
	case DimensionEngagement:
		return scoreEngagement
	}
	if i := slices.Index(c.scoring.named, d); i >= 0 {
		return scoreNamed + i
	}
	return -1
}

// scoreIndex is scoreIndexOf for a rule Compile has checked: 0 when the
// rule has no points.
func (c *compilation) scoreIndex(d Dimension) int { return max(c.scoreIndexOf(d), 0) }

func (c *compilation) dimensionsText() string {
	names := []string{"fit", "engagement"}
	for _, d := range c.scoring.named {
		names = append(names, string(d))
	}
	return "the policy has: " + strings.Join(names, ", ")
}

// checkDimension checks the dimension of a rule with points.
func (c *compilation) checkDimension(rule string, d Dimension) {
	switch {
	case d == DimensionNone || d == "none":
		c.problem(rule, "dimension", "points need a dimension: fit, engagement or one the settings declare (%s)", c.dimensionsText())
	case c.scoreIndexOf(d) < 0:
		msg := fmt.Sprintf("unknown dimension %q: declare it in settings.dimensions (%s)", clipKind(lead.Kind(d)), c.dimensionsText())
		if c.isLine(string(d)) {
			msg += "; a product line's own scores are its decision's, in Decision.Lines"
		}
		c.problem(rule, "dimension", "%s", msg)
	}
}

// scoresInto is the named scores of vals, written into out when out is not
// nil (it is then empty: EvaluateInto cleared it).
func (sc *scoring) scoresInto(out map[Dimension]float64, vals []float64) map[Dimension]float64 {
	if len(sc.named) == 0 {
		return nil
	}
	if out == nil {
		out = make(map[Dimension]float64, len(sc.named))
	}
	for i, d := range sc.named {
		out[d] = vals[scoreNamed+i]
	}
	return out
}
