package nurture

import "github.com/leadqual/leadqual/lead"

// onLine reports whether activity a counts on product line `line`: every
// activity for the lead as a whole (""); on a line, the activities about
// its products and those about no line's product.
func (p *Planner) onLine(a *lead.Activity, line string) bool {
	if line == "" {
		return true
	}
	al := p.cfg.Vocabulary.ActivityLine(a)
	return al == "" || al == line
}
