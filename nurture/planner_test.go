package nurture_test

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/nurture"
	"github.com/leadqual/leadqual/qualify"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPlannerOutcomes(t *testing.T) {
	enrolled := t0.Add(-time.Hour)
	type row struct {
		name string
		cfg  nurture.Config
		mod  func(l *lead.Lead, in *nurture.Input)
		now  time.Time

		want     nurture.Outcome
		index    int
		at       time.Time // touches
		moved    nurture.Moves
		deadline time.Time // hand-offs
		cause    lead.Kind // hand-offs and withdrawals
	}
	rows := []row{
		{name: "first step at once", now: t0,
			want: nurture.OutcomeTouch, index: 0, at: t0, moved: nurture.MovedNow},
		{name: "first step due in the future", now: enrolled.Add(-time.Minute),
			want: nurture.OutcomeTouch, index: 0, at: enrolled},
		{name: "second step waits from the last touch", now: t0,
			mod:  func(l *lead.Lead, in *nurture.Input) { in.Progress = in.Progress.Advance(t0) },
			want: nurture.OutcomeTouch, index: 1, at: t0.Add(3 * day)},
		{name: "skipped step waits from the last touch made", now: t0,
			mod: func(l *lead.Lead, in *nurture.Input) {
				in.Progress = nurture.Progress{Enrolled: t0.Add(-2 * day)}.Advance(t0.Add(-day)).Skip()
			},
			want: nurture.OutcomeTouch, index: 2, at: t0.Add(3 * day)},
		{name: "overdue step planned now", now: t0.Add(10 * day),
			mod:  func(l *lead.Lead, in *nurture.Input) { in.Progress = in.Progress.Advance(t0) },
			want: nurture.OutcomeTouch, index: 1, at: t0.Add(10 * day), moved: nurture.MovedNow},

		{name: "disqualified stage", now: t0,
			mod:  func(l *lead.Lead, in *nurture.Input) { l.Stage = lead.StageDisqualified },
			want: nurture.OutcomeDisqualified},
		{name: "do not contact is final", now: t0,
			mod:  func(l *lead.Lead, in *nurture.Input) { l.Stage, l.LostReason = lead.StageLost, lead.ReasonDoNotContact },
			want: nurture.OutcomeDisqualified},
		{name: "not a fit is final", now: t0,
			mod:  func(l *lead.Lead, in *nurture.Input) { l.LostReason = lead.ReasonNotAFit },
			want: nurture.OutcomeDisqualified},
		{name: "disqualified beats need", now: t0,
			mod: func(l *lead.Lead, in *nurture.Input) {
				l.LostReason = lead.ReasonDoNotContact
				l.Activities = append(l.Activities, lead.Activity{Kind: lead.KindPricingRequest, At: t0})
			},
			want: nurture.OutcomeDisqualified},
		{name: "not now is not final", now: t0,
			mod:  func(l *lead.Lead, in *nurture.Input) { l.Stage, l.LostReason = lead.StageRecycled, lead.ReasonNotNow },
			want: nurture.OutcomeTouch, at: t0, moved: nurture.MovedNow},

		{name: "pricing request after enrolment hands off", now: t0.Add(time.Minute),
			mod: func(l *lead.Lead, in *nurture.Input) {
				l.Activities = append(l.Activities, lead.Activity{Kind: lead.KindPricingRequest, At: t0, Product: "RoutePlanner"})
			},
			want: nurture.OutcomeHandOff, deadline: t0.Add(5 * time.Minute), cause: lead.KindPricingRequest},
		{name: "need at the enrolment instant hands off", now: t0,
			mod: func(l *lead.Lead, in *nurture.Input) {
				l.Activities = append(l.Activities, lead.Activity{Kind: lead.KindDemoRequest, At: enrolled})
			},
			want: nurture.OutcomeHandOff, deadline: enrolled.Add(5 * time.Minute), cause: lead.KindDemoRequest},
		{name: "earliest need decides the deadline", now: t0,
			mod: func(l *lead.Lead, in *nurture.Input) {
				l.Activities = append(l.Activities,
					lead.Activity{Kind: lead.KindQuoteRequest, At: t0.Add(-10 * time.Minute)},
					lead.Activity{Kind: lead.KindPricingRequest, At: t0.Add(-30 * time.Minute)})
			},
			want: nurture.OutcomeHandOff, deadline: t0.Add(-25 * time.Minute), cause: lead.KindPricingRequest},
		{name: "need before enrolment is not this track's", now: t0,
			mod: func(l *lead.Lead, in *nurture.Input) {
				l.Activities = append(l.Activities, lead.Activity{Kind: lead.KindPricingRequest, At: enrolled.Add(-time.Second)})
			},
			want: nurture.OutcomeTouch, at: t0, moved: nurture.MovedNow},
		{name: "response window is configurable", now: t0, cfg: nurture.Config{Vocabulary: vocab(t, func(s *qualify.Settings) { s.ResponseDeadline = time.Hour })},
			mod: func(l *lead.Lead, in *nurture.Input) {
				l.Activities = append(l.Activities, lead.Activity{Kind: lead.KindContactRequest, At: t0})
			},
			want: nurture.OutcomeHandOff, deadline: t1, cause: lead.KindContactRequest},
		{name: "intent override makes a host kind need", now: t0,
			cfg: nurture.Config{Vocabulary: vocab(t, intents(map[lead.Kind]lead.Intent{"roi_calculator": lead.IntentNeed}))},
			mod: func(l *lead.Lead, in *nurture.Input) {
				l.Activities = append(l.Activities, lead.Activity{Kind: "roi_calculator", At: t0})
			},
			want: nurture.OutcomeHandOff, deadline: t0.Add(5 * time.Minute), cause: "roi_calculator"},
		{name: "intent override makes pricing interest", now: t0,
			cfg: nurture.Config{Vocabulary: vocab(t, intents(map[lead.Kind]lead.Intent{lead.KindPricingRequest: lead.IntentInterest}))},
			mod: func(l *lead.Lead, in *nurture.Input) {
				l.Activities = append(l.Activities, lead.Activity{Kind: lead.KindPricingRequest, At: t0})
			},
			want: nurture.OutcomeTouch, at: t0, moved: nurture.MovedNow},
		{name: "host need with its own deadline", now: t0,
			mod: func(l *lead.Lead, in *nurture.Input) {
				in.Need = nurture.Need{At: t0, Deadline: t0.Add(15 * time.Minute), Why: "rule hot-lead"}
			},
			want: nurture.OutcomeHandOff, deadline: t0.Add(15 * time.Minute)},
		{name: "host need without deadline takes the window", now: t0,
			mod:  func(l *lead.Lead, in *nurture.Input) { in.Need = nurture.Need{At: t0.Add(-time.Hour)} },
			want: nurture.OutcomeHandOff, deadline: t0.Add(-55 * time.Minute)},
		{name: "activity need earlier than host need", now: t0,
			mod: func(l *lead.Lead, in *nurture.Input) {
				l.Activities = append(l.Activities, lead.Activity{Kind: lead.KindTrialStarted, At: t0.Add(-time.Minute)})
				in.Need = nurture.Need{At: t0}
			},
			want: nurture.OutcomeHandOff, deadline: t0.Add(4 * time.Minute), cause: lead.KindTrialStarted},
		{name: "need beats a completed track", now: t0,
			mod: func(l *lead.Lead, in *nurture.Input) {
				in.Progress.Next = 3
				l.Activities = append(l.Activities, lead.Activity{Kind: lead.KindPricingRequest, At: t0})
			},
			want: nurture.OutcomeHandOff, index: 3, deadline: t0.Add(5 * time.Minute), cause: lead.KindPricingRequest},
		{name: "need beats missing consent", now: t0,
			mod: func(l *lead.Lead, in *nurture.Input) {
				l.Consent = nil
				l.Activities = append(l.Activities, lead.Activity{Kind: lead.KindPricingRequest, At: t0})
			},
			want: nurture.OutcomeHandOff, deadline: t0.Add(5 * time.Minute), cause: lead.KindPricingRequest},

		{name: "sales accepted", now: t0,
			mod:  func(l *lead.Lead, in *nurture.Input) { l.Stage = lead.StageSalesAccepted },
			want: nurture.OutcomeWithSales},
		{name: "sales qualified", now: t0,
			mod:  func(l *lead.Lead, in *nurture.Input) { l.Stage = lead.StageSalesQualified },
			want: nurture.OutcomeWithSales},
		{name: "opportunity", now: t0,
			mod:  func(l *lead.Lead, in *nurture.Input) { l.Stage = lead.StageOpportunity },
			want: nurture.OutcomeWithSales},
		{name: "customer", now: t0,
			mod:  func(l *lead.Lead, in *nurture.Input) { l.Stage = lead.StageWon },
			want: nurture.OutcomeWithSales},
		{name: "marketing qualified is still nurtured", now: t0,
			mod:  func(l *lead.Lead, in *nurture.Input) { l.Stage = lead.StageMarketingQualified },
			want: nurture.OutcomeTouch, at: t0, moved: nurture.MovedNow},

		{name: "completed", now: t0,
			mod:  func(l *lead.Lead, in *nurture.Input) { in.Progress.Next = 3 },
			want: nurture.OutcomeCompleted, index: 3},
		{name: "completed beats missing consent", now: t0,
			mod:  func(l *lead.Lead, in *nurture.Input) { in.Progress.Next, l.Consent = 3, nil },
			want: nurture.OutcomeCompleted, index: 3},

		{name: "no consent recorded", now: t0,
			mod:  func(l *lead.Lead, in *nurture.Input) { l.Consent = nil },
			want: nurture.OutcomeNoConsent},
		{name: "consent unknown", now: t0,
			mod: func(l *lead.Lead, in *nurture.Input) {
				l.Consent[lead.ChannelEmail] = lead.Consent{State: lead.ConsentUnknown}
			},
			want: nurture.OutcomeNoConsent},
		{name: "consent on another channel only", now: t0,
			mod: func(l *lead.Lead, in *nurture.Input) {
				l.Consent = map[lead.Channel]lead.Consent{lead.ChannelPhone: {State: lead.ConsentOptedIn, At: t0}}
			},
			want: nurture.OutcomeNoConsent},
		{name: "an invalid consent state permits nothing", now: t0,
			mod: func(l *lead.Lead, in *nurture.Input) {
				l.Consent[lead.ChannelEmail] = lead.Consent{State: 9, At: t0}
			},
			want: nurture.OutcomeNoConsent},
		{name: "opted out", now: t0,
			mod: func(l *lead.Lead, in *nurture.Input) {
				l.Consent[lead.ChannelEmail] = lead.Consent{State: lead.ConsentOptedOut, At: t0}
			},
			want: nurture.OutcomeConsentWithdrawn},
		{name: "unsubscribe stops email", now: t0,
			mod: func(l *lead.Lead, in *nurture.Input) {
				l.Activities = append(l.Activities, lead.Activity{Kind: lead.KindUnsubscribe, At: t0.Add(-time.Minute)})
			},
			want: nurture.OutcomeConsentWithdrawn, cause: lead.KindUnsubscribe},
		{name: "bounce stops email", now: t0,
			mod: func(l *lead.Lead, in *nurture.Input) {
				l.Activities = append(l.Activities, lead.Activity{Kind: lead.KindBounce, At: t0.Add(-time.Minute), Channel: lead.ChannelEmail})
			},
			want: nurture.OutcomeConsentWithdrawn, cause: lead.KindBounce},
		{name: "spam complaint stops email", now: t0,
			mod: func(l *lead.Lead, in *nurture.Input) {
				l.Activities = append(l.Activities, lead.Activity{Kind: lead.KindSpamComplaint, At: t0.Add(-time.Minute)})
			},
			want: nurture.OutcomeConsentWithdrawn, cause: lead.KindSpamComplaint},
		{name: "latest stopping activity is the cause", now: t0,
			mod: func(l *lead.Lead, in *nurture.Input) {
				l.Activities = append(l.Activities,
					lead.Activity{Kind: lead.KindSpamComplaint, At: t0.Add(-time.Minute)},
					lead.Activity{Kind: lead.KindBounce, At: t0.Add(-time.Hour)})
			},
			want: nurture.OutcomeConsentWithdrawn, cause: lead.KindSpamComplaint},
		{name: "unsubscribe with no time stops email", now: t0,
			mod: func(l *lead.Lead, in *nurture.Input) {
				l.Activities = append(l.Activities, lead.Activity{Kind: lead.KindUnsubscribe})
			},
			want: nurture.OutcomeConsentWithdrawn, cause: lead.KindUnsubscribe},
		{name: "consent without a time is stopped by any unsubscribe", now: t0,
			mod: func(l *lead.Lead, in *nurture.Input) {
				l.Consent[lead.ChannelEmail] = lead.Consent{State: lead.ConsentOptedIn}
				l.Activities = append(l.Activities, lead.Activity{Kind: lead.KindUnsubscribe, At: t0.Add(-100 * day)})
			},
			want: nurture.OutcomeConsentWithdrawn, cause: lead.KindUnsubscribe},
		{name: "opting in again after an unsubscribe", now: t0,
			mod: func(l *lead.Lead, in *nurture.Input) {
				l.Activities = append(l.Activities, lead.Activity{Kind: lead.KindUnsubscribe, At: t0.Add(-3 * day)})
			},
			want: nurture.OutcomeTouch, at: t0, moved: nurture.MovedNow},
		{name: "sms stop does not stop email", now: t0,
			mod: func(l *lead.Lead, in *nurture.Input) {
				l.Activities = append(l.Activities, lead.Activity{Kind: lead.KindUnsubscribe, At: t0, Channel: lead.ChannelSMS})
			},
			want: nurture.OutcomeTouch, at: t0, moved: nurture.MovedNow},
		{name: "host negative kind without channel stops every channel", now: t0,
			cfg: nurture.Config{Vocabulary: vocab(t, intents(map[lead.Kind]lead.Intent{"gdpr_erasure": lead.IntentNegative}))},
			mod: func(l *lead.Lead, in *nurture.Input) {
				l.Activities = append(l.Activities, lead.Activity{Kind: "gdpr_erasure", At: t0})
			},
			want: nurture.OutcomeConsentWithdrawn, cause: "gdpr_erasure"},
		{name: "intent override can make an unsubscribe harmless", now: t0,
			cfg: nurture.Config{Vocabulary: vocab(t, intents(map[lead.Kind]lead.Intent{lead.KindUnsubscribe: lead.IntentNone}))},
			mod: func(l *lead.Lead, in *nurture.Input) {
				l.Activities = append(l.Activities, lead.Activity{Kind: lead.KindUnsubscribe, At: t0})
			},
			want: nurture.OutcomeTouch, at: t0, moved: nurture.MovedNow},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			p := newPlanner(t, r.cfg)
			l := interestLead()
			in := nurture.Input{Lead: l, Track: track3(t), Progress: nurture.Progress{Enrolled: enrolled}}
			if r.mod != nil {
				r.mod(l, &in)
			}
			plan, err := p.Next(in, r.now)
			require.NoError(t, err)
			assert.Equal(t, r.want, plan.Outcome, "outcome (plan: %s)", plan)
			assert.Equal(t, r.index, plan.Index, "index")
			assert.Equal(t, "L-1", plan.Lead)
			assert.Equal(t, "ops-101", plan.Track)
			assert.Equal(t, r.want == nurture.OutcomeTouch, plan.Touch())
			if r.want == nurture.OutcomeTouch {
				assert.True(t, r.at.Equal(plan.At), "at: want %s, got %s", r.at, plan.At)
				assert.Equal(t, r.moved, plan.Moved, "moved")
				assert.False(t, plan.At.Before(r.now), "never before now")
				assert.False(t, plan.At.Before(plan.Due), "never before due")
			} else {
				assert.True(t, plan.At.IsZero(), "no time without a touch")
			}
			if r.want == nurture.OutcomeHandOff {
				assert.True(t, r.deadline.Equal(plan.Deadline), "deadline: want %s, got %s", r.deadline, plan.Deadline)
			} else {
				assert.True(t, plan.Deadline.IsZero())
			}
			assert.Equal(t, r.cause, plan.Cause.Kind, "cause")
			if plan.Index < 3 {
				assert.Equal(t, lead.ChannelEmail, plan.Channel)
			}
			assert.NotEmpty(t, plan.String())
		})
	}
}

func TestPlannerHandOffKeepsHostNeed(t *testing.T) {
	p := newPlanner(t, nurture.Config{})
	need := nurture.Need{At: t0, Why: "qualify rule pricing-page"}
	plan, err := p.Next(nurture.Input{Lead: interestLead(), Track: track3(t), Progress: nurture.Progress{Enrolled: t0.Add(-day)}, Need: need}, t1)
	require.NoError(t, err)
	assert.Equal(t, nurture.OutcomeHandOff, plan.Outcome)
	assert.Equal(t, need, plan.Need)
	assert.Contains(t, plan.String(), "qualify rule pricing-page")
}

func TestPlannerInputErrors(t *testing.T) {
	p := newPlanner(t, nurture.Config{})
	tr := track3(t)
	rows := []struct {
		name  string
		in    func() nurture.Input
		field string
		text  string
	}{
		{"no lead", func() nurture.Input { return nurture.Input{Track: tr} }, "lead", "is nil"},
		{"no track", func() nurture.Input { return nurture.Input{Lead: interestLead()} }, "track", "is nil"},
		{"empty track", func() nurture.Input { return nurture.Input{Lead: interestLead(), Track: &nurture.Track{}} }, "track", "no steps"},
		{"negative progress", func() nurture.Input {
			return nurture.Input{Lead: interestLead(), Track: tr, Progress: nurture.Progress{Next: -1, Enrolled: t0}}
		}, "progress.next", "negative"},
		{"progress past the end", func() nurture.Input {
			return nurture.Input{Lead: interestLead(), Track: tr, Progress: nurture.Progress{Next: 4, Enrolled: t0}}
		}, "progress.next", `step 5 is past the end of track "ops-101" (3 steps)`},
		{"no enrolment", func() nurture.Input {
			return nurture.Input{Lead: interestLead(), Track: tr}
		}, "progress.enrolled", "missing"},
		{"unknown time zone", func() nurture.Input {
			l := interestLead()
			l.Contact.TimeZone = "Mars/Olympus_Mons"
			return nurture.Input{Lead: l, Track: tr, Progress: nurture.Progress{Enrolled: t0}}
		}, "contact.time_zone", `"Mars/Olympus_Mons" is not a time zone`},
		{"the machine's zone", func() nurture.Input {
			l := interestLead()
			l.Contact.TimeZone = "Local"
			return nurture.Input{Lead: l, Track: tr, Progress: nurture.Progress{Enrolled: t0}}
		}, "contact.time_zone", `"Local" is not a time zone`},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			plan, err := p.Next(r.in(), t0)
			require.Error(t, err)
			assert.ErrorIs(t, err, nurture.ErrInvalidInput)
			var fe *lead.FieldError
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, r.field, fe.Path)
			assert.Contains(t, err.Error(), r.text)
			assert.Equal(t, nurture.OutcomeNone, plan.Outcome, "no plan with an error")
		})
	}
}

func TestPlannerTimeZoneErrorWrapsTheCause(t *testing.T) {
	p := newPlanner(t, nurture.Config{})
	l := interestLead()
	l.Contact.TimeZone = "Nowhere/Land"
	_, err := p.Next(nurture.Input{Lead: l, Track: track3(t), Progress: nurture.Progress{Enrolled: t0}}, t0)
	require.Error(t, err)
	assert.Equal(t, `nurture: lead "L-1": contact.time_zone: "Nowhere/Land" is not a time zone`, err.Error())
	var ne *nurture.Error
	require.ErrorAs(t, err, &ne)
	assert.Equal(t, "L-1", ne.Lead)
	var fe *lead.FieldError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "contact.time_zone", fe.Path)
	assert.Error(t, fe.Unwrap(), "the time package's error is kept")
}

func TestConfigErrors(t *testing.T) {
	rows := []struct {
		name  string
		cfg   nurture.Config
		field string
	}{
		{"no vocabulary", nurture.Config{}, "Vocabulary"},
		{"negative period", nurture.Config{CapPeriod: -time.Hour}, "CapPeriod"},
		{"absurd cap", nurture.Config{MaxTouches: 5000}, "MaxTouches"},
		{"quiet from out of the day", nurture.Config{QuietHours: nurture.QuietHours{From: 25 * time.Hour, Until: time.Hour}}, "QuietHours.From"},
		{"quiet until negative", nurture.Config{QuietHours: nurture.QuietHours{From: time.Hour, Until: -time.Hour}}, "QuietHours.Until"},
		{"quiet from equals until", nurture.Config{QuietHours: nurture.QuietHours{From: 8 * time.Hour, Until: 8 * time.Hour}}, "QuietHours"},
		{"bad weekday", nurture.Config{QuietHours: nurture.QuietHours{Days: []time.Weekday{time.Saturday, 7}}}, "QuietHours.Days[1]"},
		{"every day quiet", nurture.Config{QuietHours: nurture.QuietHours{Days: []time.Weekday{0, 1, 2, 3, 4, 5, 6}}}, "QuietHours.Days"},
		{"unknown zone", nurture.Config{TimeZone: "Atlantis/Capital"}, "TimeZone"},
		{"machine zone", nurture.Config{TimeZone: "Local"}, "TimeZone"},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			if r.field != "Vocabulary" {
				r.cfg.Vocabulary = qualify.DefaultVocabulary()
			}
			_, err := nurture.NewPlanner(r.cfg)
			require.Error(t, err)
			assert.ErrorIs(t, err, nurture.ErrInvalidConfig)
			var fe *lead.FieldError
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, r.field, fe.Path)
			assert.Contains(t, err.Error(), "nurture: config: "+r.field+": ")
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	p := newPlanner(t, nurture.Config{})
	c := p.Config()
	assert.Same(t, qualify.DefaultVocabulary(), c.Vocabulary)
	assert.Equal(t, 3, c.MaxTouches)
	assert.Equal(t, 7*day, c.CapPeriod)
	assert.Equal(t, "UTC", c.TimeZone)

	// The zero QuietHours are 21:00 to 08:00; Off turns them off.
	l := interestLead()
	in := nurture.Input{Lead: l, Track: track3(t), Progress: nurture.Progress{Enrolled: t0}}
	night := time.Date(2026, 3, 2, 22, 0, 0, 0, time.UTC)
	plan, err := p.Next(in, night)
	require.NoError(t, err)
	assert.Equal(t, time.Date(2026, 3, 3, 8, 0, 0, 0, time.UTC), plan.At.UTC())

	off := newPlanner(t, nurture.Config{QuietHours: nurture.QuietHours{Off: true}})
	plan, err = off.Next(in, night)
	require.NoError(t, err)
	assert.True(t, night.Equal(plan.At))
}

func TestHostOverridesAreCopied(t *testing.T) {
	intents := map[lead.Kind]lead.Intent{"roi_calculator": lead.IntentNeed}
	p := newPlanner(t, nurture.Config{Vocabulary: vocab(t, func(s *qualify.Settings) { s.Intents = intents })})
	intents["roi_calculator"] = lead.IntentNone // the host's map changes later
	l := interestLead()
	l.Activities = append(l.Activities, lead.Activity{Kind: "roi_calculator", At: t0})
	plan, err := p.Next(nurture.Input{Lead: l, Track: track3(t), Progress: nurture.Progress{Enrolled: t0.Add(-time.Hour)}}, t0)
	require.NoError(t, err)
	assert.Equal(t, nurture.OutcomeHandOff, plan.Outcome)
}

func TestPlannerDoesNotChangeTheLead(t *testing.T) {
	p := newPlanner(t, nurture.Config{})
	l := interestLead()
	l.Activities = append(l.Activities,
		lead.Activity{Kind: lead.KindNurtureEmail, At: t0.Add(-time.Hour)},
		lead.Activity{Kind: lead.KindNurtureEmail, At: t0.Add(-2 * time.Hour)},
		lead.Activity{Kind: lead.KindNurtureEmail, At: t0.Add(-3 * time.Hour)})
	before := fmt.Sprintf("%+v", *l)
	_, err := p.Next(nurture.Input{Lead: l, Track: track3(t), Progress: nurture.Progress{Enrolled: t0.Add(-day)}}, t0)
	require.NoError(t, err)
	assert.Equal(t, before, fmt.Sprintf("%+v", *l), "activities are read, never sorted or changed")
}

func TestFrequencyCap(t *testing.T) {
	email := func(at time.Time) lead.Activity {
		return lead.Activity{Kind: lead.KindNurtureEmail, At: at, Channel: lead.ChannelEmail}
	}
	noQuiet := nurture.QuietHours{Off: true}
	rows := []struct {
		name    string
		cfg     nurture.Config
		touches []lead.Activity
		last    time.Time // progress's last touch, advancing the progress one step
		want    time.Time
		moved   nurture.Moves
	}{
		{name: "under the cap", touches: []lead.Activity{email(t0.Add(-day)), email(t0.Add(-2 * day))},
			want: t0, moved: nurture.MovedNow},
		{name: "at the cap: wait until the oldest leaves the period",
			touches: []lead.Activity{email(t0.Add(-6 * day)), email(t0.Add(-5 * day)), email(t0.Add(-1 * day))},
			want:    t0.Add(day), moved: nurture.MovedNow | nurture.MovedCap},
		{name: "over the cap: wait until enough leave",
			touches: []lead.Activity{email(t0.Add(-6 * day)), email(t0.Add(-5 * day)), email(t0.Add(-4 * day)), email(t0.Add(-3 * day))},
			want:    t0.Add(2 * day), moved: nurture.MovedNow | nurture.MovedCap},
		{name: "touches in any order",
			touches: []lead.Activity{email(t0.Add(-1 * day)), email(t0.Add(-6 * day)), email(t0.Add(-5 * day))},
			want:    t0.Add(day), moved: nurture.MovedNow | nurture.MovedCap},
		{name: "a touch exactly one period ago has left it",
			touches: []lead.Activity{email(t0.Add(-7 * day)), email(t0.Add(-5 * day)), email(t0.Add(-1 * day))},
			want:    t0, moved: nurture.MovedNow},
		{name: "old touches do not count",
			touches: []lead.Activity{email(t0.Add(-30 * day)), email(t0.Add(-20 * day)), email(t0.Add(-10 * day)), email(t0.Add(-1 * day))},
			want:    t0, moved: nurture.MovedNow},
		{name: "sales touches do not count",
			touches: []lead.Activity{email(t0.Add(-6 * day)), email(t0.Add(-5 * day)),
				{Kind: lead.KindCallAttempted, At: t0.Add(-time.Hour)}, {Kind: lead.KindSalesEmail, At: t0.Add(-time.Hour)}},
			want: t0, moved: nurture.MovedNow},
		{name: "touches without a time do not count",
			touches: []lead.Activity{email(t0.Add(-6 * day)), email(t0.Add(-5 * day)), {Kind: lead.KindNurtureEmail}},
			want:    t0, moved: nurture.MovedNow},
		{name: "a host kind counted as a marketing touch",
			cfg: nurture.Config{Vocabulary: vocab(t, func(s *qualify.Settings) {
				s.Touches = map[lead.Kind]lead.Touch{"telemarketing_call": lead.TouchMarketing}
			})},
			touches: []lead.Activity{email(t0.Add(-6 * day)), email(t0.Add(-5 * day)), {Kind: "telemarketing_call", At: t0.Add(-time.Hour)}},
			want:    t0.Add(day), moved: nurture.MovedNow | nurture.MovedCap},
		{name: "the progress's last touch counts when no activity records it",
			touches: []lead.Activity{email(t0.Add(-6 * day)), email(t0.Add(-5 * day))},
			last:    t0.Add(-4 * day),
			want:    t0.Add(day), moved: nurture.MovedNow | nurture.MovedCap},
		{name: "the progress's last touch is not counted twice",
			touches: []lead.Activity{email(t0.Add(-6 * day)), email(t0.Add(-4 * day))},
			last:    t0.Add(-4 * day),
			want:    t0, moved: nurture.MovedNow},
		{name: "a tighter cap", cfg: nurture.Config{MaxTouches: 1, CapPeriod: 2 * day},
			touches: []lead.Activity{email(t0.Add(-time.Hour))},
			want:    t0.Add(2*day - time.Hour), moved: nurture.MovedNow | nurture.MovedCap},
		{name: "no cap", cfg: nurture.Config{MaxTouches: -1},
			touches: []lead.Activity{email(t0.Add(-3 * time.Hour)), email(t0.Add(-2 * time.Hour)), email(t0.Add(-time.Hour)), email(t0)},
			want:    t0, moved: nurture.MovedNow},
		{name: "many touches",
			touches: func() []lead.Activity {
				var out []lead.Activity
				for i := range 40 {
					out = append(out, email(t0.Add(-time.Duration(i+1)*time.Hour)))
				}
				return out
			}(),
			// The third most recent, at t0-3h, must leave the period.
			want: t0.Add(7*day - 3*time.Hour), moved: nurture.MovedNow | nurture.MovedCap},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			cfg := r.cfg
			cfg.QuietHours = noQuiet
			p := newPlanner(t, cfg)
			tr, err := nurture.NewTrack(nurture.TrackSpec{Name: "daily", Steps: []nurture.Step{
				{Asset: "a", Specificity: nurture.SpecificityProblem, Channel: lead.ChannelEmail},
				{Asset: "b", Specificity: nurture.SpecificityProblem, Channel: lead.ChannelEmail},
			}})
			require.NoError(t, err)
			l := interestLead()
			l.Activities = append(l.Activities, r.touches...)
			pr := nurture.Progress{Enrolled: t0.Add(-60 * day)}
			if !r.last.IsZero() {
				pr = pr.Advance(r.last)
			}
			plan, err := p.Next(nurture.Input{Lead: l, Track: tr, Progress: pr}, t0)
			require.NoError(t, err)
			require.Equal(t, nurture.OutcomeTouch, plan.Outcome, plan.String())
			assert.True(t, r.want.Equal(plan.At), "want %s, got %s", r.want, plan.At)
			assert.Equal(t, r.moved, plan.Moved)
		})
	}
}

func TestCapAndQuietHoursTogether(t *testing.T) {
	// The cap frees a slot at 23:00 London time; quiet hours move it to
	// 08:00 the next morning. Neither ever moves a touch earlier.
	p := newPlanner(t, nurture.Config{MaxTouches: 1, CapPeriod: day})
	l := interestLead()
	l.Contact.TimeZone = "Europe/London"
	l.Activities = append(l.Activities, lead.Activity{Kind: lead.KindNurtureEmail, At: time.Date(2026, 1, 14, 23, 0, 0, 0, time.UTC)})
	now := time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)
	plan, err := p.Next(nurture.Input{Lead: l, Track: track3(t), Progress: nurture.Progress{Enrolled: now.Add(-day)}}, now)
	require.NoError(t, err)
	assert.Equal(t, time.Date(2026, 1, 16, 8, 0, 0, 0, time.UTC), plan.At.UTC())
	assert.Equal(t, nurture.MovedNow|nurture.MovedCap|nurture.MovedQuiet, plan.Moved)
	assert.Equal(t, "Europe/London", plan.At.Location().String(), "planned in the lead's zone")
}

func TestPlannerIsSafeForConcurrentUse(t *testing.T) {
	p := newPlanner(t, nurture.Config{})
	tr := track3(t)
	zones := []string{"Europe/London", "America/New_York", "Asia/Tokyo", "Australia/Lord_Howe", "UTC", ""}
	now := time.Date(2026, 3, 2, 23, 30, 0, 0, time.UTC) // quiet somewhere, not everywhere
	plan := func(zone string) (time.Time, error) {
		l := interestLead()
		l.Contact.TimeZone = zone
		pl, err := p.Next(nurture.Input{Lead: l, Track: tr, Progress: nurture.Progress{Enrolled: t0}}, now)
		return pl.At, err
	}
	// What a fresh planner answers for each zone, one call at a time.
	want := map[string]time.Time{}
	fresh := newPlanner(t, nurture.Config{})
	for _, z := range zones {
		l := interestLead()
		l.Contact.TimeZone = z
		pl, err := fresh.Next(nurture.Input{Lead: l, Track: tr, Progress: nurture.Progress{Enrolled: t0}}, now)
		require.NoError(t, err)
		want[z] = pl.At
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				z := zones[(g+i)%len(zones)]
				at, err := plan(z)
				if err != nil {
					t.Error(err)
					return
				}
				if !at.Equal(want[z]) {
					t.Errorf("zone %q: got %s, want %s", z, at, want[z])
				}
			}
		}()
	}
	wg.Wait()
}

func TestOutcomeNames(t *testing.T) {
	names := map[nurture.Outcome]string{
		nurture.OutcomeNone: "none", nurture.OutcomeTouch: "touch", nurture.OutcomeDisqualified: "disqualified",
		nurture.OutcomeHandOff: "hand_off", nurture.OutcomeWithSales: "with_sales", nurture.OutcomeCompleted: "completed",
		nurture.OutcomeNoConsent: "no_consent", nurture.OutcomeConsentWithdrawn: "consent_withdrawn",
	}
	for o, n := range names {
		assert.Equal(t, n, o.String())
		b, err := o.MarshalText()
		require.NoError(t, err)
		assert.Equal(t, n, string(b))
	}
	assert.Equal(t, "outcome(99)", nurture.Outcome(99).String())
	_, err := nurture.Outcome(99).MarshalText()
	assert.Error(t, err)
	assert.Equal(t, "now+cap+quiet", (nurture.MovedNow | nurture.MovedCap | nurture.MovedQuiet).String())
	assert.Equal(t, "", nurture.Moves(0).String())
}

func TestProgressJSONAndMoves(t *testing.T) {
	pr := nurture.Progress{Enrolled: t0}
	pr = pr.Advance(t1)
	assert.Equal(t, nurture.Progress{Next: 1, Enrolled: t0, Last: t1}, pr)
	pr = pr.Skip()
	assert.Equal(t, nurture.Progress{Next: 2, Enrolled: t0, Last: t1}, pr)
}

func TestPlanJSON(t *testing.T) {
	p := newPlanner(t, nurture.Config{})
	l := interestLead()
	night := time.Date(2026, 3, 2, 22, 0, 0, 0, time.UTC)
	plan, err := p.Next(nurture.Input{Lead: l, Track: track3(t), Progress: nurture.Progress{Enrolled: t0}}, night)
	require.NoError(t, err)
	b, err := json.Marshal(plan)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	assert.Equal(t, "touch", m["outcome"])
	assert.Equal(t, "now+quiet", m["moved"])
	assert.Equal(t, "2026-03-03T08:00:00Z", m["at"])
	assert.Equal(t, "problem", m["step"].(map[string]any)["specificity"])
	assert.NotContains(t, m, "deadline")

	var back struct {
		Outcome nurture.Outcome `json:"outcome"`
		Moved   nurture.Moves   `json:"moved"`
	}
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, nurture.OutcomeTouch, back.Outcome)
	assert.Equal(t, nurture.MovedNow|nurture.MovedQuiet, back.Moved)
}

func TestTextForms(t *testing.T) {
	for o := nurture.OutcomeNone; o <= nurture.OutcomeConsentWithdrawn; o++ {
		b, err := o.MarshalText()
		require.NoError(t, err)
		var back nurture.Outcome
		require.NoError(t, back.UnmarshalText(b))
		assert.Equal(t, o, back)
	}
	var o nurture.Outcome
	assert.ErrorContains(t, o.UnmarshalText([]byte("handoff")), `unknown outcome "handoff"`)

	for m := nurture.Moves(0); m < 8; m++ {
		b, err := m.MarshalText()
		require.NoError(t, err)
		var back nurture.Moves
		require.NoError(t, back.UnmarshalText(b))
		assert.Equal(t, m, back)
	}
	_, err := nurture.Moves(8).MarshalText()
	assert.Error(t, err)
	var m nurture.Moves
	assert.ErrorContains(t, m.UnmarshalText([]byte("cap+later")), `unknown move "later"`)

	for k := nurture.FindingResponseBreach; k <= nurture.FindingCoverage; k++ {
		b, err := k.MarshalText()
		require.NoError(t, err)
		var back nurture.FindingKind
		require.NoError(t, back.UnmarshalText(b))
		assert.Equal(t, k, back)
		assert.Equal(t, string(b), k.String())
	}
	var k nurture.FindingKind
	assert.Error(t, k.UnmarshalText([]byte("late")))
	_, err = nurture.FindingKind(9).MarshalText()
	assert.Error(t, err)
	assert.Equal(t, "finding(9)", nurture.FindingKind(9).String())
}

func TestWaitRunsFromTheLaterOfEnrolmentAndLastTouch(t *testing.T) {
	p := newPlanner(t, nurture.Config{QuietHours: nurture.QuietHours{Off: true}})
	// Enrolled again on a new track a day after the last touch of the old one.
	pr := nurture.Progress{Enrolled: t0, Last: t0.Add(-day), Next: 1}
	plan, err := p.Next(nurture.Input{Lead: interestLead(), Track: track3(t), Progress: pr}, t0)
	require.NoError(t, err)
	assert.True(t, t0.Add(3*day).Equal(plan.At), "got %s", plan.At)
}
