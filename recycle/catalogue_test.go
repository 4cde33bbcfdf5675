package recycle_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/qualify"
	"github.com/leadqual/leadqual/recycle"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func testCatalogue(t testing.TB) recycle.Catalogue {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "catalogue.json"))
	require.NoError(t, err)
	c, err := recycle.ParseCatalogue(data)
	require.NoError(t, err)
	return c
}

func TestClassifyActivity(t *testing.T) {
	cl, err := recycle.NewClassifier(testCatalogue(t), qualify.DefaultVocabulary())
	require.NoError(t, err)
	at := t0.Add(-time.Hour)
	tests := []struct {
		name string
		a    lead.Activity
		want recycle.Match
	}{
		{"our product, by name", lead.Activity{Kind: lead.KindPageVisit, At: at, Product: "RoutePlanner"},
			recycle.Match{Class: recycle.ClassOurs, Product: "RoutePlanner", Term: "RoutePlanner", Reason: "new interest in RoutePlanner"}},
		{"our product, by alias, any case", lead.Activity{Kind: lead.KindWebinarAttended, At: at, Asset: "Getting more from your ROUTE-PLANNER"},
			recycle.Match{Class: recycle.ClassOurs, Product: "RoutePlanner", Term: "route planner", Reason: "new interest in RoutePlanner"}},
		{"a topic of ours, in a white paper's title", lead.Activity{Kind: lead.KindWhitePaper, At: at, Asset: "Tyre Management for Small Fleets"},
			recycle.Match{Class: recycle.ClassOurs, Product: "FleetCare", Term: "tyre management", Reason: "new interest in FleetCare"}},
		{"a topic of ours from a competitor: ours, and the competitor noted", lead.Activity{Kind: lead.KindEbook, At: at, Asset: "Route optimisation in 2027",
			Attrs: map[string]string{"vendor": "acme fleet"}},
			recycle.Match{Class: recycle.ClassOurs, Product: "RoutePlanner", Term: "route optimisation", Competitor: "Acme Fleet", Reason: "new interest in RoutePlanner"}},
		{"the industry, elsewhere", lead.Activity{Kind: lead.KindResearchReport, At: at, Asset: "The state of telematics",
			Attrs: map[string]string{"vendor": "Truckly"}},
			recycle.Match{Class: recycle.ClassCompetitive, Term: "telematics", Competitor: "Truckly", Reason: "competitive risk: telematics (Truckly)"}},
		{"the industry, vendor unknown", lead.Activity{Kind: lead.KindWebinarRegistered, At: at, Attrs: map[string]string{"topic": "Fuel cards explained"}},
			recycle.Match{Class: recycle.ClassCompetitive, Term: "fuel cards", Reason: "competitive risk: fuel cards"}},
		{"a competitor named in the text", lead.Activity{Kind: lead.KindPageVisit, At: at, Asset: "/compare/truckly-pricing"},
			recycle.Match{Class: recycle.ClassCompetitive, Term: "Truckly", Competitor: "Truckly", Reason: "competitive risk: interest shown to Truckly"}},
		{"a competitor as the vendor, topic unknown", lead.Activity{Kind: lead.KindEbook, At: at, Asset: "Team building", Attrs: map[string]string{"vendor": "Acme Fleet"}},
			recycle.Match{Class: recycle.ClassCompetitive, Competitor: "Acme Fleet", Reason: "competitive risk: interest shown to Acme Fleet"}},
		{"unrelated", lead.Activity{Kind: lead.KindWhitePaper, At: at, Asset: "Bowling for beginners"}, recycle.Match{}},
		{"unrelated, another vendor", lead.Activity{Kind: lead.KindWhitePaper, At: at, Asset: "Basketball", Attrs: map[string]string{"vendor": "Sportsco"}}, recycle.Match{}},
		{"a word inside another word does not match", lead.Activity{Kind: lead.KindWhitePaper, At: at, Asset: "Routeplanners of the world"}, recycle.Match{}},
		{"our own nurture email is no interest", lead.Activity{Kind: lead.KindNurtureEmail, At: at, Product: "RoutePlanner"}, recycle.Match{}},
		{"a call we made is no interest", lead.Activity{Kind: lead.KindCallAttempted, At: at, Product: "RoutePlanner"}, recycle.Match{}},
		{"an unsubscribe is no interest", lead.Activity{Kind: lead.KindUnsubscribe, At: at, Asset: "RoutePlanner news"}, recycle.Match{}},
		{"a need shown to us, about a product we list", lead.Activity{Kind: lead.KindPricingRequest, At: at, Product: "RP-200"},
			recycle.Match{Class: recycle.ClassOurs, Product: "RoutePlanner", Term: "RP-200", Reason: "new interest in RoutePlanner"}},
		{"a need shown to us, about nothing we list", lead.Activity{Kind: lead.KindDemoRequest, At: at},
			recycle.Match{Class: recycle.ClassOurs, Reason: "new need: asked for a demo"}},
		{"a need shown to us, about a product we do not list", lead.Activity{Kind: lead.KindQuoteRequest, At: at, Product: "Widget"},
			recycle.Match{Class: recycle.ClassOurs, Product: "Widget", Reason: "new interest in Widget: asked for a quote"}},
		{"a meeting booked with us", lead.Activity{Kind: lead.KindMeetingBooked, At: at},
			recycle.Match{Class: recycle.ClassOurs, Reason: "new need: booked a meeting"}},
		{"a need shown to someone else is not ours", lead.Activity{Kind: lead.KindDemoRequest, At: at, Attrs: map[string]string{"vendor": "Sportsco"}}, recycle.Match{}},
		{"the product field beats the asset", lead.Activity{Kind: lead.KindPageVisit, At: at, Product: "FleetCare", Asset: "route planner"},
			recycle.Match{Class: recycle.ClassOurs, Product: "FleetCare", Term: "FleetCare", Reason: "new interest in FleetCare"}},
		{"ours beats the industry in the same text", lead.Activity{Kind: lead.KindWhitePaper, At: at, Asset: "Telematics and vehicle maintenance"},
			recycle.Match{Class: recycle.ClassOurs, Product: "FleetCare", Term: "vehicle maintenance", Reason: "new interest in FleetCare"}},
		{"the longer term wins", lead.Activity{Kind: lead.KindWhitePaper, At: at, Asset: "fleet management and fleet care"},
			recycle.Match{Class: recycle.ClassOurs, Product: "FleetCare", Term: "fleet care", Reason: "new interest in FleetCare"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, cl.Activity(tc.a))
		})
	}
}

func TestClassifyTopic(t *testing.T) {
	cl, err := recycle.NewClassifier(testCatalogue(t), qualify.DefaultVocabulary())
	require.NoError(t, err)
	assert.Equal(t, recycle.ClassOurs, cl.Topic("Delivery scheduling").Class)
	assert.Equal(t, recycle.ClassCompetitive, cl.Topic("telematics").Class)
	assert.Equal(t, recycle.ClassUnrelated, cl.Topic("bowling").Class)
	assert.Equal(t, recycle.ClassUnrelated, cl.Topic("").Class)
	// Only the first 4096 bytes of a text are read.
	assert.Equal(t, recycle.ClassUnrelated, cl.Topic(strings.Repeat("x ", 3000)+"telematics").Class)
	assert.Equal(t, recycle.ClassCompetitive, cl.Topic(strings.Repeat("x ", 2000)+"telematics").Class)

	empty, err := recycle.NewClassifier(recycle.Catalogue{}, qualify.DefaultVocabulary())
	require.NoError(t, err)
	assert.Equal(t, recycle.ClassUnrelated, empty.Topic("RoutePlanner").Class)
	assert.Equal(t, recycle.ClassOurs, empty.Activity(lead.Activity{Kind: lead.KindPricingRequest}).Class, "a need shown to us")
}

func TestCatalogueInvalid(t *testing.T) {
	tests := []struct {
		name string
		c    recycle.Catalogue
		err  string
	}{
		{"no name", recycle.Catalogue{Products: []recycle.Product{{Aliases: []string{"x"}}}}, "products[0].name: empty"},
		{"a term twice", recycle.Catalogue{Products: []recycle.Product{{Name: "A", Topics: []string{"telematics"}}}, Industry: []string{"Telematics"}},
			`industry[0]: "Telematics" is already in the catalogue as products[0].topics[0]`},
		{"a product's alias is another's name", recycle.Catalogue{Products: []recycle.Product{{Name: "Route Planner"}, {Name: "B", Aliases: []string{"route-planner"}}}},
			"products[1].aliases[0]"},
		{"a competitor that we sell", recycle.Catalogue{Products: []recycle.Product{{Name: "Acme"}}, Competitors: []string{"ACME"}}, "competitors[0]"},
		{"no letters", recycle.Catalogue{Industry: []string{"--"}}, `industry[0]: "--" has no letter or digit`},
		{"too long", recycle.Catalogue{Industry: []string{strings.Repeat("a", 201)}}, "industry[0]: 201 bytes"},
		{"too many words", recycle.Catalogue{Industry: []string{strings.Repeat("a ", 17)}}, "industry[0]: 17 words"},
		{"not UTF-8", recycle.Catalogue{Competitors: []string{"\xff\xfe"}}, "competitors[0]: not valid UTF-8"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := recycle.NewClassifier(tc.c, qualify.DefaultVocabulary())
			require.ErrorIs(t, err, recycle.ErrInvalid)
			assert.ErrorContains(t, err, tc.err)
		})
	}
	many := make([]string, 10001)
	for i := range many {
		many[i] = "topic " + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + " " + strings.Repeat("y", i/26%20) + string(rune('a'+i/520))
	}
	_, err := recycle.NewClassifier(recycle.Catalogue{Industry: many}, qualify.DefaultVocabulary())
	require.ErrorIs(t, err, recycle.ErrInvalid)
	assert.ErrorContains(t, err, "more than 10000 terms")
}

func TestParseCatalogue(t *testing.T) {
	c := testCatalogue(t)
	assert.Len(t, c.Products, 2)
	out, err := json.Marshal(c)
	require.NoError(t, err)
	back, err := recycle.ParseCatalogue(out)
	require.NoError(t, err)
	assert.Equal(t, c, back)
	for name, tc := range map[string]struct{ json, err string }{
		"not JSON":      {`[`, "recycle: catalogue: [0] at line 1, column 2: the JSON ends too early"},
		"unknown field": {`{"product": []}`, `recycle: catalogue: product at line 1, column 2: unknown field (the fields are products, industry, competitors)`},
		"trailing data": {`{}x`, "recycle: catalogue: line 1, column 3: unexpected data after the JSON value"},
		"invalid":       {`{"industry": [""]}`, "industry[0]"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := recycle.ParseCatalogue([]byte(tc.json))
			require.ErrorIs(t, err, recycle.ErrInvalid)
			assert.ErrorContains(t, err, tc.err)
		})
	}
}

func TestClassText(t *testing.T) {
	for c := recycle.ClassUnrelated; c <= recycle.ClassCompetitive; c++ {
		b, err := c.MarshalText()
		require.NoError(t, err)
		var back recycle.Class
		require.NoError(t, back.UnmarshalText(b))
		assert.Equal(t, c, back)
	}
	var c recycle.Class
	assert.Error(t, c.UnmarshalText([]byte("theirs")))
	m, err := json.Marshal(recycle.Match{Class: recycle.ClassOurs, Product: "RoutePlanner"})
	require.NoError(t, err)
	assert.JSONEq(t, `{"class":"ours","product":"RoutePlanner"}`, string(m))
}

func FuzzParseCatalogue(f *testing.F) {
	data, err := os.ReadFile(filepath.Join("testdata", "catalogue.json"))
	require.NoError(f, err)
	f.Add(data, "Route optimisation for fleets", "acme fleet")
	f.Add([]byte(`{"industry":["a b c"]}`), "x a b c", "")
	f.Add([]byte(`{}`), "", "")
	f.Fuzz(func(t *testing.T, data []byte, text, vendor string) {
		c, err := recycle.ParseCatalogue(data)
		if err != nil {
			return
		}
		out, err := json.Marshal(c)
		require.NoError(t, err)
		back, err := recycle.ParseCatalogue(out)
		require.NoError(t, err)
		require.Equal(t, c, back)
		cl, err := recycle.NewClassifier(c, qualify.DefaultVocabulary())
		require.NoError(t, err)
		m := cl.Activity(lead.Activity{Kind: lead.KindWhitePaper, Asset: text, Attrs: map[string]string{"vendor": vendor}})
		if m.Class == recycle.ClassOurs {
			require.NotEmpty(t, m.Product)
		}
		if m.Class != recycle.ClassUnrelated {
			require.NotEmpty(t, m.Reason)
		}
		cl.Topic(text)
	})
}

// A kind the policy declares need wakes a recycled lead as the policy
// would route it: the classifier reads the policy's vocabulary.
func TestClassifierReadsThePolicysVocabulary(t *testing.T) {
	spec := qualify.DefaultSpec()
	spec.Settings.Intents = map[lead.Kind]lead.Intent{"callback_request": lead.IntentNeed, lead.KindWhitePaper: lead.IntentNegative}
	spec.Settings.Descriptions = map[lead.Kind]string{"callback_request": "asked to be called back"}
	p, err := qualify.Compile(spec)
	require.NoError(t, err)
	cl, err := recycle.NewClassifier(recycle.Catalogue{}, p.Vocabulary())
	require.NoError(t, err)
	m := cl.Activity(lead.Activity{Kind: "callback_request"})
	assert.Equal(t, recycle.ClassOurs, m.Class)
	assert.Equal(t, "new need: asked to be called back", m.Reason)

	def, err := recycle.NewClassifier(recycle.Catalogue{}, qualify.DefaultVocabulary())
	require.NoError(t, err)
	assert.Equal(t, recycle.ClassUnrelated, def.Activity(lead.Activity{Kind: "callback_request"}).Class, "a kind the default vocabulary does not know")

	_, err = recycle.NewClassifier(recycle.Catalogue{}, nil)
	require.ErrorIs(t, err, recycle.ErrInvalid)
}
