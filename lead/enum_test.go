package lead_test

import (
	"database/sql"
	"database/sql/driver"
	"encoding"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/leadqual/leadqual/lead"
)

// closedEnum is what the closed enumerations of package lead have in common.
type closedEnum interface {
	~uint8
	fmt.Stringer
	encoding.TextMarshaler
	driver.Valuer
	Valid() bool
}

// enumPtr is the pointer side: a closed enumeration is decoded in place.
type enumPtr[T any] interface {
	*T
	encoding.TextUnmarshaler
	sql.Scanner
}

// testClosedEnum checks every encoding of a closed enumeration whose wire
// names, in value order, are names. The names are the stored form of a
// host's data: they are listed in the tests, not taken from the package.
func testClosedEnum[T closedEnum, P enumPtr[T]](t *testing.T, typ string, names []string, parse func(string) (T, error)) {
	accepted := fmt.Sprintf("(accepted: %s)", strings.Join(names, ", "))
	for i, name := range names {
		v := T(i)
		t.Run(name, func(t *testing.T) {
			assert.True(t, v.Valid())
			assert.Equal(t, name, v.String())

			text, err := v.MarshalText()
			require.NoError(t, err)
			assert.Equal(t, name, string(text))
			var back T
			require.NoError(t, P(&back).UnmarshalText(text))
			assert.Equal(t, v, back)

			parsed, err := parse(name)
			require.NoError(t, err)
			assert.Equal(t, v, parsed)

			j, err := json.Marshal(v)
			require.NoError(t, err)
			assert.Equal(t, `"`+name+`"`, string(j))
			back = T(len(names) - 1 - i)
			require.NoError(t, json.Unmarshal(j, &back))
			assert.Equal(t, v, back)

			// As a map key, too (consent is a map; a host may key by stage).
			j, err = json.Marshal(map[T]int{v: 1})
			require.NoError(t, err)
			assert.Equal(t, `{"`+name+`":1}`, string(j))

			dv, err := v.Value()
			require.NoError(t, err)
			assert.Equal(t, name, dv)
			for _, src := range []any{name, []byte(name), dv} {
				back = T(len(names) - 1 - i)
				require.NoError(t, P(&back).Scan(src), "Scan(%#v)", src)
				assert.Equal(t, v, back, "Scan(%#v)", src)
			}
		})
	}

	t.Run("unknown text", func(t *testing.T) {
		for _, s := range []string{"bogus", "", strings.ToUpper(names[1]), " " + names[1], names[1] + " ", "1", names[len(names)-1] + "_", strings.ReplaceAll(names[len(names)-1], "_", "-") + "-"} {
			want := fmt.Sprintf("unknown %s %q %s", typ, s, accepted)
			v := T(1)
			assert.EqualError(t, P(&v).UnmarshalText([]byte(s)), want)
			assert.Equal(t, T(1), v, "a failed UnmarshalText leaves the value unchanged")
			_, err := parse(s)
			assert.EqualError(t, err, want)
			assert.EqualError(t, P(&v).Scan(s), want)
			assert.EqualError(t, P(&v).Scan([]byte(s)), want)
			assert.Equal(t, T(1), v, "a failed Scan leaves the value unchanged")

			err = json.Unmarshal([]byte(fmt.Sprintf("%q", s)), &v)
			assert.ErrorContains(t, err, want, "JSON names the accepted values too")
		}
	})

	t.Run("scan of other types", func(t *testing.T) {
		for _, tt := range []struct {
			src  any
			want string
		}{
			{nil, "cannot scan NULL into a " + typ},
			{int64(1), "cannot scan int64 into a " + typ},
			{1, "cannot scan int into a " + typ},
			{1.0, "cannot scan float64 into a " + typ},
			{true, "cannot scan bool into a " + typ},
			{time.Time{}, "cannot scan time.Time into a " + typ},
		} {
			v := T(1)
			assert.EqualError(t, P(&v).Scan(tt.src), tt.want)
			assert.Equal(t, T(1), v)
		}
	})

	t.Run("out of range", func(t *testing.T) {
		for _, v := range []T{T(len(names)), 255} {
			assert.False(t, v.Valid())
			assert.Equal(t, fmt.Sprintf("%s(%d)", typ, uint8(v)), v.String())
			want := fmt.Sprintf("invalid %s %d", typ, uint8(v))
			_, err := v.MarshalText()
			assert.EqualError(t, err, want)
			_, err = v.Value()
			assert.EqualError(t, err, want)
			_, err = json.Marshal(v)
			assert.ErrorContains(t, err, want)
		}
	})

	t.Run("zero value", func(t *testing.T) {
		var zero T
		assert.Equal(t, names[0], zero.String())
	})
}

func TestStageEncodings(t *testing.T) {
	testClosedEnum[lead.Stage](t, "stage", []string{
		"new", "nurturing", "marketing_qualified", "sales_accepted", "sales_qualified",
		"opportunity", "won", "lost", "recycled", "disqualified",
	}, lead.ParseStage)
}

func TestIntentEncodings(t *testing.T) {
	testClosedEnum[lead.Intent](t, "intent", []string{"none", "interest", "need", "negative"}, lead.ParseIntent)
}

func TestRoleEncodings(t *testing.T) {
	testClosedEnum[lead.Role](t, "role", []string{"unknown", "decision_maker", "influencer", "user"}, lead.ParseRole)
}

func TestConsentStateEncodings(t *testing.T) {
	testClosedEnum[lead.ConsentState](t, "consent state", []string{"unknown", "opted_in", "opted_out"}, lead.ParseConsentState)
}

func TestClosedEnumConstants(t *testing.T) {
	// The constants have the names their doc comments promise.
	assert.Equal(t, "marketing_qualified", lead.StageMarketingQualified.String())
	assert.Equal(t, "disqualified", lead.StageDisqualified.String())
	assert.Equal(t, "need", lead.IntentNeed.String())
	assert.Equal(t, "negative", lead.IntentNegative.String())
	assert.Equal(t, "decision_maker", lead.RoleDecisionMaker.String())
	assert.Equal(t, "user", lead.RoleUser.String())
	assert.Equal(t, "opted_in", lead.ConsentOptedIn.String())
	assert.Equal(t, "opted_out", lead.ConsentOptedOut.String())
}

// openString is what the open string types of package lead have in common.
type openString interface {
	~string
	driver.Valuer
}

func testOpenString[T openString, P interface {
	*T
	sql.Scanner
}](t *testing.T, typ string, samples ...T) {
	for _, v := range samples {
		dv, err := v.Value()
		require.NoError(t, err)
		assert.Equal(t, string(v), dv)
		for _, src := range []any{string(v), []byte(v), dv} {
			var back T
			require.NoError(t, P(&back).Scan(src))
			assert.Equal(t, v, back)
		}
	}
	for _, tt := range []struct {
		src  any
		want string
	}{
		{nil, "cannot scan NULL into a " + typ},
		{int64(1), "cannot scan int64 into a " + typ},
		{true, "cannot scan bool into a " + typ},
	} {
		v := samples[0]
		assert.EqualError(t, P(&v).Scan(tt.src), tt.want)
		assert.Equal(t, samples[0], v, "a failed Scan leaves the value unchanged")
	}
	// Scan copies: database/sql may reuse the buffer.
	buf := []byte(samples[0])
	var back T
	require.NoError(t, P(&back).Scan(buf))
	for i := range buf {
		buf[i] = 'x'
	}
	assert.Equal(t, samples[0], back)
}

func TestKindSQL(t *testing.T) {
	testOpenString[lead.Kind](t, "kind", lead.KindPricingRequest, "podcast_listened", "")
}

func TestChannelSQL(t *testing.T) {
	testOpenString[lead.Channel](t, "channel", lead.ChannelEmail, lead.ChannelPhone, lead.ChannelSMS, "whatsapp")
}

func TestReasonSQL(t *testing.T) {
	testOpenString[lead.Reason](t, "reason", lead.ReasonNotNow, "merger_pending", "")
}

func TestCurrencySQL(t *testing.T) {
	testOpenString[lead.Currency](t, "currency", "GBP", "EUR")
}

func TestKindCatalogue(t *testing.T) {
	// Every well-known kind, with the intent and touch it is meant to
	// carry. Interest is the counterfeit of need: the doctrine's list.
	catalogue := []struct {
		kind     lead.Kind
		name     string
		intent   lead.Intent
		touch    lead.Touch
		describe string
	}{
		{lead.KindWhitePaper, "white_paper", lead.IntentInterest, lead.TouchNone, "downloaded a white paper"},
		{lead.KindEbook, "ebook", lead.IntentInterest, lead.TouchNone, "downloaded an e-book"},
		{lead.KindResearchReport, "research_report", lead.IntentInterest, lead.TouchNone, "downloaded a research report"},
		{lead.KindWebinarRegistered, "webinar_registered", lead.IntentInterest, lead.TouchNone, "registered for a webinar"},
		{lead.KindWebinarAttended, "webinar_attended", lead.IntentInterest, lead.TouchNone, "attended a webinar"},
		{lead.KindNewsletterSignup, "newsletter_signup", lead.IntentInterest, lead.TouchNone, "signed up for the newsletter"},
		{lead.KindTradeShow, "trade_show", lead.IntentInterest, lead.TouchNone, "visited our stand at a trade show"},
		{lead.KindSeminar, "seminar", lead.IntentInterest, lead.TouchNone, "attended a seminar"},
		{lead.KindConference, "conference", lead.IntentInterest, lead.TouchNone, "met us at a conference"},
		{lead.KindPageVisit, "page_visit", lead.IntentNone, lead.TouchNone, "visited a page"},
		{lead.KindEmailOpen, "email_open", lead.IntentNone, lead.TouchNone, "opened an email"},
		{lead.KindEmailClick, "email_click", lead.IntentNone, lead.TouchNone, "clicked a link in an email"},
		{lead.KindChat, "chat", lead.IntentNone, lead.TouchNone, "chatted on the website"},
		{lead.KindPricingRequest, "pricing_request", lead.IntentNeed, lead.TouchNone, "asked for pricing"},
		{lead.KindProductInfoRequest, "product_info_request", lead.IntentNeed, lead.TouchNone, "asked for product information"},
		{lead.KindQuoteRequest, "quote_request", lead.IntentNeed, lead.TouchNone, "asked for a quote"},
		{lead.KindDemoRequest, "demo_request", lead.IntentNeed, lead.TouchNone, "asked for a demo"},
		{lead.KindContactRequest, "contact_request", lead.IntentNeed, lead.TouchNone, "asked to be contacted"},
		{lead.KindTrialStarted, "trial_started", lead.IntentNeed, lead.TouchNone, "started a trial"},
		{lead.KindMeetingBooked, "meeting_booked", lead.IntentNeed, lead.TouchSales, "booked a meeting"},
		{lead.KindCallConnected, "call_connected", lead.IntentNeed, lead.TouchSales, "had a phone conversation"},
		{lead.KindUnsubscribe, "unsubscribe", lead.IntentNegative, lead.TouchNone, "unsubscribed"},
		{lead.KindBounce, "bounce", lead.IntentNegative, lead.TouchNone, "an email bounced"},
		{lead.KindSpamComplaint, "spam_complaint", lead.IntentNegative, lead.TouchNone, "complained of spam"},
		{lead.KindNurtureEmail, "nurture_email", lead.IntentNone, lead.TouchMarketing, "was sent a nurture email"},
		{lead.KindSalesEmail, "sales_email", lead.IntentNone, lead.TouchSales, "was sent a personal email by sales"},
		{lead.KindCallAttempted, "call_attempted", lead.IntentNone, lead.TouchSales, "was called without getting through"},
	}
	var want []lead.Kind
	for _, c := range catalogue {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.name, string(c.kind))
			assert.Equal(t, c.name, c.kind.String())
			assert.True(t, c.kind.Known())
			assert.Equal(t, c.intent, c.kind.Intent())
			assert.Equal(t, c.touch, c.kind.Touch())
			assert.Equal(t, c.describe, c.kind.Describe())
		})
		want = append(want, c.kind)
	}
	assert.Equal(t, want, lead.Kinds(), "Kinds lists the catalogue, in order, and nothing else")

	// The catalogue's names are distinct, snake_case by convention.
	seen := map[lead.Kind]bool{}
	for _, k := range lead.Kinds() {
		assert.False(t, seen[k], "%s is in the catalogue twice", k)
		seen[k] = true
		assert.Regexp(t, `^[a-z]+(_[a-z]+)*$`, string(k))
	}
}

func TestUnknownKinds(t *testing.T) {
	for _, k := range []lead.Kind{"podcast_listened", "", "Pricing_Request", "pricing_request ", "PRICING_REQUEST", "pricing"} {
		t.Run(string(k), func(t *testing.T) {
			assert.False(t, k.Known())
			assert.Equal(t, lead.IntentNone, k.Intent(), "an unknown kind carries no intent")
			assert.Equal(t, lead.TouchNone, k.Touch(), "an unknown kind is not a touch")
			assert.Equal(t, string(k), k.Describe())
		})
	}
}

func TestKindSlicesAreFresh(t *testing.T) {
	a := lead.Kinds()
	a[0] = "tampered"
	assert.Equal(t, lead.KindWhitePaper, lead.Kinds()[0])
	assert.True(t, lead.KindWhitePaper.Known())
	assert.False(t, lead.Kind("tampered").Known())
	assert.Equal(t, lead.IntentNeed, lead.KindPricingRequest.Intent())
}

func TestTouchText(t *testing.T) {
	for _, tt := range []lead.Touch{lead.TouchNone, lead.TouchMarketing, lead.TouchSales} {
		b, err := tt.MarshalText()
		require.NoError(t, err)
		var back lead.Touch
		require.NoError(t, back.UnmarshalText(b))
		assert.Equal(t, tt, back)
		p, err := lead.ParseTouch(tt.String())
		require.NoError(t, err)
		assert.Equal(t, tt, p)
	}
	_, err := lead.ParseTouch("telepathy")
	assert.ErrorContains(t, err, "none, marketing, sales")
	assert.False(t, lead.Touch(7).Valid())
}

func TestReasonDescribe(t *testing.T) {
	for _, r := range []lead.Reason{lead.ReasonNotNow, lead.ReasonNoBudget, lead.ReasonNoDecisionMaker, lead.ReasonUnresponsive,
		lead.ReasonStonewalled, lead.ReasonPreferredSupplier, lead.ReasonOffshored, lead.ReasonNotAFit, lead.ReasonDoNotContact} {
		assert.NotContains(t, r.Describe(), "(", "the doctrine's reasons read as words")
		assert.NotEmpty(t, r.Describe())
	}
	assert.Equal(t, "set aside (budget_freeze)", lead.Reason("budget_freeze").Describe())
	assert.Equal(t, "lost to a preferred supplier", lead.ReasonPreferredSupplier.Describe())
}

func TestLostAt(t *testing.T) {
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	l := &lead.Lead{ID: "L"}
	assert.True(t, l.LostAt(t0).IsZero())
	l.History = []lead.Transition{
		{From: lead.StageNew, To: lead.StageSalesAccepted, At: t0.Add(-5 * time.Hour)},
		{From: lead.StageSalesAccepted, To: lead.StageLost, At: t0.Add(-4 * time.Hour)},
		{From: lead.StageLost, To: lead.StageRecycled, At: t0.Add(-3 * time.Hour)},
		{From: lead.StageRecycled, To: lead.StageNew, At: t0.Add(-2 * time.Hour)},
		{From: lead.StageNew, To: lead.StageDisqualified, At: t0.Add(time.Hour)},
	}
	assert.Equal(t, t0.Add(-3*time.Hour), l.LostAt(t0), "the latest move into lost or recycled, not after now")
	assert.Equal(t, t0.Add(time.Hour), l.LostAt(t0.Add(2*time.Hour)))
}

func TestReason(t *testing.T) {
	tests := []struct {
		r                 lead.Reason
		final, outOfScope bool
	}{
		{lead.ReasonNotNow, false, false},
		{lead.ReasonNoBudget, false, false},
		{lead.ReasonNoDecisionMaker, false, false},
		{lead.ReasonUnresponsive, false, false},
		{lead.ReasonStonewalled, false, false}, // move on for now: neither final nor out of scope
		{lead.ReasonPreferredSupplier, false, true},
		{lead.ReasonOffshored, false, true},
		{lead.ReasonNotAFit, true, false},
		{lead.ReasonDoNotContact, true, false},
		{"merger_pending", false, false},
		{"", false, false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.final, tt.r.Final(), "%q.Final()", tt.r)
		assert.Equal(t, tt.outOfScope, tt.r.OutOfScope(), "%q.OutOfScope()", tt.r)
	}
}

func TestContactLocation(t *testing.T) {
	tests := []struct {
		zone    string
		want    string
		wantErr bool
	}{
		{zone: "", want: "UTC"},
		{zone: "UTC", want: "UTC"},
		{zone: "Europe/London", want: "Europe/London"},
		{zone: "America/New_York", want: "America/New_York"},
		{zone: "Local", wantErr: true},
		{zone: "Mars/Olympus_Mons", wantErr: true},
		{zone: "../../etc/passwd", wantErr: true},
		{zone: "/etc/localtime", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.zone, func(t *testing.T) {
			loc, err := lead.Contact{TimeZone: tt.zone}.Location()
			if tt.wantErr {
				assert.Error(t, err)
				assert.Nil(t, loc)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, loc.String())
		})
	}
}

func TestConsentFor(t *testing.T) {
	l := fullLead()
	assert.Equal(t, lead.ConsentOptedIn, l.ConsentFor(lead.ChannelEmail).State)
	assert.Equal(t, t1, l.ConsentFor(lead.ChannelEmail).At)
	assert.Equal(t, lead.ConsentOptedOut, l.ConsentFor(lead.ChannelPhone).State)
	assert.Equal(t, lead.Consent{}, l.ConsentFor(lead.ChannelSMS), "no record is unknown consent")

	var empty lead.Lead
	assert.Equal(t, lead.ConsentUnknown, empty.ConsentFor(lead.ChannelEmail).State, "a nil map is no consent")
}
