package qualify

import (
	_ "embed"
	"slices"
)

//go:embed default_policy.json
var defaultPolicyJSON []byte

// DefaultJSON returns the default policy's JSON form: the doctrine as rules,
// for a host to copy and adapt. The slice is a copy.
func DefaultJSON() []byte { return slices.Clone(defaultPolicyJSON) }

// DefaultSpec returns the default policy, which encodes the doctrine:
//
//   - need and interest come from the vocabulary (Settings.Intents over the
//     lead package's catalogue), not from one rule per kind: explicit
//     requests (pricing, product information, a quote, a demo, a contact
//     request, a phone conversation, a booked meeting, a trial) are need;
//     education (white papers, e-books, research reports, webinars, the
//     newsletter, trade shows, seminars, conferences) is interest; a host
//     kind declared need in the settings is need here too, and the reason
//     names it;
//   - a decision maker raises fit, and a contact known to be a user, not a
//     decision maker, lowers it; company size and a stated budget raise it;
//     an unknown role, size or budget earns nothing either way;
//   - engagement counts content, webinars, events, clicks and visits, and
//     unsubscribes, bounces and spam complaints count against it;
//   - a preferred supplier or offshoring is out of scope (recycled), a true
//     non-fit or a do-not-contact request is final.
//
// Each call returns a new Spec; change it freely.
func DefaultSpec() Spec {
	s, err := ParseSpec(defaultPolicyJSON)
	if err != nil {
		panic("qualify: the embedded default policy does not parse: " + err.Error())
	}
	return s
}
