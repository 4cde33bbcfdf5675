package recycle

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/leadqual/leadqual/lead"
)

// Anchor names a date of the lead that a horizon is anchored to: when the
// lead has it, and it lies ahead, the lead is due then instead of after the
// horizon's wait.
type Anchor string

// The anchors.
const (
	// AnchorNone is the zero value: no anchor of its own. In an override it
	// keeps the default's anchor; write AnchorOff to remove it.
	AnchorNone Anchor = ""
	// AnchorOff removes a default anchor in an override.
	AnchorOff Anchor = "none"
	// AnchorExpectedPurchase is lead.Lead.ExpectedPurchase: when a "not
	// now" prospect expects to buy.
	AnchorExpectedPurchase Anchor = "expected_purchase"
	// AnchorRenewal is lead.Lead.Renewal: when the contract with the
	// preferred supplier, or the partner abroad, comes up for renewal.
	AnchorRenewal Anchor = "renewal"
)

// Horizon is what becomes of a lead recycled for one reason: how long it
// sleeps, how far that may grow, and the task for whoever calls it when it
// comes round.
//
// In [Horizons.Reasons], a field left zero takes the value of the
// reason's default horizon (see [DefaultHorizons]), or for a reason of the
// host's own, of [Horizons.Fallback]: override only what differs.
type Horizon struct {
	// After is how long the lead sleeps the first time it is recycled for
	// the reason. The n-th recycle of the same lead waits After × Backoff^n,
	// never more than Longest. Required (at least 1s, at most Longest).
	After time.Duration
	// Longest is the most the lead ever sleeps for the reason, whatever
	// its recycle count: backoff stops there, and from Horizons.Cap
	// recycles on the lead waits exactly Longest. Only the lead's own
	// anchor date can push a recycle further (up to Horizons.Longest).
	// Required (at least After, at most Horizons.Longest); a default
	// longer than Horizons.Longest is shortened to it, and a default After
	// longer than a Longest the host writes is shortened to that.
	Longest time.Duration
	// Task is the follow-up for whoever calls the lead when it is due.
	// Required.
	Task string
	// Anchor, when set, is a date of the lead that replaces the wait when
	// the lead has it and it lies ahead, even beyond Longest: the
	// prospect's own date is the natural time to call. Default none.
	Anchor Anchor
	// Ahead brings an anchored due time forward: call this long before the
	// date, to be in time for the decision. Default 0: on the date.
	Ahead time.Duration
	// Attempts is how many unanswered attempts make one recycle. The
	// attempts before the last are retried quickly, after Retry, Retry ×
	// Backoff, ... (never more than After); the last unanswered attempt
	// sends the lead to sleep for After (with backoff), and the count
	// starts again. 0 or 1: no quick retries. Default 0, except for
	// lead.ReasonUnresponsive.
	Attempts int
	// Retry is the wait after the first unanswered attempt. Required when
	// Attempts > 1; at most After.
	Retry time.Duration
}

// Horizons configures the [Planner]: a horizon per reason, backoff, the cap
// on repeated recycles, the ceiling of every wait, jitter and working
// hours. The zero value is the doctrine's defaults. Each field documents
// its default; defaults are filled in one place and the result is
// validated by [NewPlanner].
type Horizons struct {
	// Reasons gives a horizon to each reason. The doctrine's reasons have
	// defaults (DefaultHorizons) that an entry here overrides field by
	// field; a reason of the host's own is added by giving it an entry.
	// Final reasons (not a fit, do not contact) cannot have one.
	Reasons map[lead.Reason]Horizon
	// Fallback is the horizon of a reason with no entry and no default,
	// and fills the After, Longest and Task a host reason's entry leaves
	// zero. Default: After 90 days, Longest 365 days, Task "Call back: ask
	// what has changed since the lead was set aside".
	Fallback Horizon
	// Backoff is the growth of the wait with each recycle of the same lead
	// (and of quick retries with each attempt), up to the reason's
	// Longest: 1 keeps it flat. Default 2; at least 1, at most 10.
	Backoff float64
	// Cap is the number of recycles after which a lead waits its reason's
	// Longest instead of backing off further. Default 5.
	Cap int
	// Longest is the ceiling of every wait: no reason's Longest may exceed
	// it, and a lead whose anchor date lies further away is called at
	// Longest instead, for however distant the renewal, "business
	// relationships are severed all the time". Default horizons longer
	// than it are shortened to it. Default 730 days; at most 20 years.
	Longest time.Duration
	// Jitter spreads due times so that leads recycled together do not all
	// come due together: each is moved later by a fraction of Jitter
	// derived from its lead ID (the same lead gets the same time), and by
	// no more than a tenth of its wait. Default 48 hours; negative
	// disables; at most 30 days.
	Jitter time.Duration
	// Hours, when set, keeps due times within working hours in the lead's
	// time zone. Default nil: any time of any day.
	Hours *WorkingHours
}

// Limits of a configuration.
const (
	maxReasons  = 1000
	maxAttempts = 100
	maxLongest  = 20 * 365 * Day
	maxJitter   = 30 * Day
)

// DefaultHorizons returns the doctrine's catalogue of horizons, a new map
// on every call:
//
//	reason              after     backs off to (Backoff 2)   longest   anchor
//	not_now             90 days   180                        180 days  expected_purchase
//	no_budget           180 days  360, 365                   365 days
//	no_decision_maker   14 days   28, 56, 90                 90 days
//	unresponsive        60 days   120, 180                   180 days  (3 attempts, retried after 2 then 4 days)
//	stonewalled         180 days  360, 365                   365 days
//	preferred_supplier  365 days  flat                       365 days  renewal
//	offshored           365 days  flat                       365 days  renewal
//	(fallback)          90 days   180, 360, 365              365 days
//
// not_a_fit and do_not_contact are final and have none. Every other lead is
// called again within its reason's Longest, whatever its recycle count:
// the catalogue never gives up on a reachable lead. Only the lead's own
// date (the anchor) may push a call further, to the date itself, because
// that is when the prospect said the decision falls; and even a date
// stops at [Horizons.Longest] (730 days).
//
// The choices, against the seeds of the doctrine. The seeds give reasons
// and remedies but no number of days (the nearest is "after one or two
// calls"): every figure below is ours, read from what they say. Quotes
// are from "The Lost Value of Sales Leads – Does a Sales Lead Ever Die?"
// unless another seed is named.
//
// not_now is "the qualified recycle whereby a company is in the market for
// what you're selling, but not at this moment ... Shrewd salespeople know
// they're buyers". A quarter lets "not at this moment" pass (not sooner:
// "a call, placed too early, could actually turn the prospect off", in
// "If Interest is the Counterfeit of Need"), and half a year is the most,
// because buyers left alone "will jump off the ship and look for another
// business entity which knows their worth" ("Stop Neglecting Sales
// Leads"). The expected purchase date, when the prospect gave one, is the
// natural time to call and wins over the half year.
//
// no_budget: the seeds are silent on budget cycles, beyond counting among
// the mistakes the habit of treating a lead that does not "show immediate
// ROI" as "effectively, dead". We assume the common yearly budget: a first
// call after half a year reaches the next planning round, and a year is
// the most, so that no budget round is ever missed.
//
// no_decision_maker: "The mistake businesses make is discarding perfectly
// good leads if, for instance, they cannot speak to a decision maker after
// one or two calls ... All it took was a little perseverance!" These leads
// "just require conversations with the right person – a sales director,
// finance director or managing director". So the first call is two weeks
// on, the wait doubles while the right person stays out of reach, and it
// never exceeds about a quarter (90 days): perseverance, not a two-year
// silence.
//
// unresponsive: an unanswered lead may be "a breakdown in communication",
// and a lead not followed up is one of the "potentially high-quality leads
// slipping through the cracks. The result? Encouraging leads are
// forgotten."; "neglect is a grave sin" ("Stop Neglecting Sales Leads"). Three attempts two and four days apart
// (another channel, time or contact) make a round; the rounds are two
// months apart, growing to at most half a year. The seeds give no figures.
//
// stonewalled (stonewalled or dismissed): "If you're stonewalled, dismissed
// or if a lead is out of scope, it might be best to move on. If there's
// potential, a relationship can be developed." The seed names the two
// together, with one remedy, so they are one reason. Move on means a long
// horizon, as for out of scope (half a year, for the person or the mood to
// change), and potential means not never: at most a year. It is not out of
// scope (lead.Reason.OutOfScope is false): the seed lists it beside out of
// scope, not within it, and the doctrine's exceptions are only a true
// non-fit and do-not-contact.
//
// preferred_supplier and offshored are out of scope: "for the moment at
// least, this lead is dead. Yet, a change in circumstances doesn't mean
// that all is lost ... Business relationships are severed all the time and
// should a prospect or former customer experience such an event, you want
// to be there to resurrect the relationship." A year, flat (no backoff:
// the horizon is already long), and the contract's renewal date, the
// natural time to call, when the lead has one.
//
// The fallback, for a host's own reason: the seeds cannot speak to a
// reason they do not know, but they say "keep the dialogue going,
// sometimes over weeks, months or even years" and that a lead "can be
// re-evaluated at a later date and a simple call could turn a prospect to
// a customer". A quarter, backing off to at most a year.
func DefaultHorizons() map[lead.Reason]Horizon {
	return map[lead.Reason]Horizon{
		lead.ReasonNotNow: {
			After: 90 * Day, Longest: 180 * Day, Anchor: AnchorExpectedPurchase,
			Task: "Call back: they were in the market but not ready; ask whether the time has come",
		},
		lead.ReasonNoBudget: {
			After: 180 * Day, Longest: 365 * Day,
			Task: "Call back: ask whether the next budget cycle has room for it",
		},
		lead.ReasonNoDecisionMaker: {
			After: 14 * Day, Longest: 90 * Day,
			Task: "Reach the sales, finance or managing director",
		},
		lead.ReasonUnresponsive: {
			After: 60 * Day, Longest: 180 * Day, Attempts: 3, Retry: 2 * Day,
			Task: "Try again: another channel, another time of day, or another contact",
		},
		lead.ReasonStonewalled: {
			After: 180 * Day, Longest: 365 * Day,
			Task: "Try a fresh approach: another contact or a new reason to talk; ask what has changed",
		},
		lead.ReasonPreferredSupplier: {
			After: 365 * Day, Longest: 365 * Day, Anchor: AnchorRenewal,
			Task: "Check in: is the preferred supplier still delivering? Ask about the contract renewal",
		},
		lead.ReasonOffshored: {
			After: 365 * Day, Longest: 365 * Day, Anchor: AnchorRenewal,
			Task: "Check in: is the partner abroad delivering? Offer to bring the work back",
		},
	}
}

var defaultFallback = Horizon{
	After: 90 * Day, Longest: 365 * Day,
	Task: "Call back: ask what has changed since the lead was set aside",
}

// or fills the zero fields of h from d.
func (h Horizon) or(d Horizon) Horizon {
	return Horizon{
		After:    cmp.Or(h.After, d.After),
		Longest:  cmp.Or(h.Longest, d.Longest),
		Task:     cmp.Or(h.Task, d.Task),
		Anchor:   cmp.Or(h.Anchor, d.Anchor),
		Ahead:    cmp.Or(h.Ahead, d.Ahead),
		Attempts: cmp.Or(h.Attempts, d.Attempts),
		Retry:    cmp.Or(h.Retry, d.Retry),
	}
}

// withDefaults returns a copy of h with every default filled in: the one
// place defaults live. A default Longest beyond the ceiling
// (Horizons.Longest) is shortened to it, and a default After or Retry to
// the Longest or After in force, so that a host may lower a maximum
// without restating every wait; a value the host wrote is left for
// validate to judge.
func (h Horizons) withDefaults() Horizons {
	out := Horizons{
		Reasons: DefaultHorizons(),
		Backoff: cmp.Or(h.Backoff, 2),
		Cap:     cmp.Or(h.Cap, 5),
		Longest: cmp.Or(h.Longest, 730*Day),
		Jitter:  cmp.Or(h.Jitter, 48*time.Hour),
	}
	bounded := func(x, d Horizon) Horizon {
		if x.Longest == 0 {
			d.Longest = min(d.Longest, out.Longest)
		}
		if longest := cmp.Or(x.Longest, d.Longest); x.After == 0 && longest > 0 {
			d.After = min(d.After, longest)
		}
		if x.Retry == 0 {
			d.Retry = min(d.Retry, cmp.Or(x.After, d.After))
		}
		return x.or(d)
	}
	out.Fallback = bounded(h.Fallback, defaultFallback)
	for r, x := range h.Reasons {
		if d, ok := out.Reasons[r]; ok {
			out.Reasons[r] = bounded(x, d)
		} else {
			f := out.Fallback
			out.Reasons[r] = bounded(x, Horizon{After: f.After, Longest: f.Longest, Task: f.Task})
		}
	}
	for r, d := range out.Reasons {
		if _, ok := h.Reasons[r]; !ok {
			out.Reasons[r] = bounded(Horizon{}, d)
		}
	}
	if h.Hours != nil {
		w := h.Hours.WithDefaults()
		out.Hours = &w
	}
	return out
}

// validate checks a configuration with its defaults filled in, naming each
// offending field.
func (h *Horizons) validate() error {
	var p problems
	if len(h.Reasons) > maxReasons {
		p.add("Horizons.Reasons", "%d reasons, more than %d", len(h.Reasons), maxReasons)
	}
	if h.Longest < time.Second || h.Longest > maxLongest {
		p.add("Horizons.Longest", "%s is outside 1s to 20 years", h.Longest)
	}
	for _, r := range slices.Sorted(maps.Keys(h.Reasons)) {
		f := fmt.Sprintf("Horizons.Reasons[%s]", r)
		if r.Final() {
			p.add(f, "%s is final: a final reason has no horizon", r)
			continue
		}
		checkReason(&p, f, r)
		h.Reasons[r].validate(&p, f, h.Longest)
	}
	h.Fallback.validate(&p, "Horizons.Fallback", h.Longest)
	if math.IsNaN(h.Backoff) || h.Backoff < 1 || h.Backoff > 10 {
		p.add("Horizons.Backoff", "%v is outside 1 to 10", h.Backoff)
	}
	if h.Cap < 1 || h.Cap > MaxCount {
		p.add("Horizons.Cap", "%d is outside 1 to %d", h.Cap, MaxCount)
	}
	if h.Jitter > maxJitter {
		p.add("Horizons.Jitter", "%s is more than 30 days", h.Jitter)
	}
	if h.Hours != nil {
		if err := h.Hours.Validate(); err != nil {
			hoursProblems(&p, "Horizons.Hours.", err, true)
		}
	}
	return p.err()
}

func (x Horizon) validate(p *problems, f string, ceiling time.Duration) {
	switch {
	case x.Longest < 0:
		p.add(f+".Longest", "negative (%s)", x.Longest)
	case x.Longest < time.Second:
		p.add(f+".Longest", "%s is less than 1s: every reason needs a maximum wait", x.Longest)
	case x.Longest > ceiling:
		p.add(f+".Longest", "%s is more than Horizons.Longest (%s), the longest any lead sleeps", x.Longest, ceiling)
	case x.After > x.Longest:
		p.add(f+".Longest", "%s is less than After (%s), the first wait: raise Longest or lower After", x.Longest, x.After)
	}
	if x.After < time.Second {
		p.add(f+".After", "%s is less than 1s", x.After)
	}
	checkTask(p, f+".Task", x.Task)
	switch x.Anchor {
	case AnchorNone, AnchorOff, AnchorExpectedPurchase, AnchorRenewal:
	default:
		p.add(f+".Anchor", "unknown anchor %q (accepted: %s, %s, %s)", string(x.Anchor), AnchorOff, AnchorExpectedPurchase, AnchorRenewal)
	}
	if x.Ahead < 0 || x.Ahead > ceiling {
		p.add(f+".Ahead", "%s is outside 0 to Horizons.Longest (%s)", x.Ahead, ceiling)
	}
	if x.Attempts < 0 || x.Attempts > maxAttempts {
		p.add(f+".Attempts", "%d is outside 0 to %d", x.Attempts, maxAttempts)
	}
	if x.Attempts > 1 && (x.Retry < time.Second || x.Retry > x.After) {
		p.add(f+".Retry", "%s is outside 1s to After (%s), and %d attempts need it", x.Retry, x.After, x.Attempts)
	}
	if x.Retry < 0 {
		p.add(f+".Retry", "negative (%s)", x.Retry)
	}
}
