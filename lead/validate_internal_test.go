package lead

import (
	"math/rand/v2"
	"net/mail"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// plainAddress only ever accepts what mail.ParseAddress accepts as the
// very same bare address: it is a shortcut, never a second opinion.
func checkPlainAddress(t *testing.T, s string) {
	if !plainAddress(s) {
		return
	}
	a, err := mail.ParseAddress(s)
	require.NoError(t, err, "%q", s)
	require.Equal(t, s, a.Address, "%q", s)
}

func TestPlainAddress(t *testing.T) {
	for _, s := range []string{"ada@byrne.example", "a.b+c_d-e@x-y.example.co.uk", "A9@B9", "a@b"} {
		assert.True(t, plainAddress(s), s)
		checkPlainAddress(t, s)
	}
	for _, s := range []string{"", "@", "a@", "@b", "a..b@c", ".a@b", "a.@b", "a@b.", "a@@b", "a b@c", "a@b_c",
		"Ann <ann@example.com>", `"a"@b`, "a@[1.2.3.4]", "é@b"} {
		assert.False(t, plainAddress(s), s)
	}
	r := rand.New(rand.NewPCG(1, 2))
	const alphabet = "ab9.@+_-<> \"[]é"
	for range 20000 {
		b := make([]byte, 1+r.IntN(12))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		checkPlainAddress(t, string(b))
	}
}

func FuzzPlainAddress(f *testing.F) {
	for _, s := range []string{"ada@byrne.example", "a..b@c", "a@b_c", "x+y@z"} {
		f.Add(s)
	}
	f.Fuzz(checkPlainAddress)
}

// TestValidateValidLeadAllocatesNothing: checking a valid lead builds no
// path and sorts no map: paths are built only for the problems found.
func TestValidateValidLeadAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts mean nothing under the race detector")
	}
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	l := &Lead{
		ID:      "L-1",
		Contact: Contact{Name: "Ada", Email: "ada@byrne.example", Phone: "+44 20 7946 0000", Role: RoleDecisionMaker, TimeZone: "Europe/London"},
		Company: Company{Name: "Byrne", Domain: "byrne.example", Employees: 240, Country: "GB"},
		Value:   MustParseMoney("50000.00", "GBP"),
		Activities: []Activity{
			{Kind: KindWhitePaper, At: now.Add(-time.Hour), Asset: "x", Attrs: map[string]string{"campaign": "spring", "medium": "email"}},
			{Kind: KindPricingRequest, At: now.Add(-time.Minute), Product: "RoutePlanner"},
		},
		Interests: []Interest{{Topic: "RoutePlanner", LastSeen: now.Add(-time.Hour)}},
		Consent:   map[Channel]Consent{"email": {State: ConsentOptedIn, At: now.Add(-time.Hour), How: "form"}},
		Fields:    map[string]any{"plan": "pro", "seats": 12.0, "tags": []any{"a", "b"}, "address": map[string]any{"country": "GB"}},
	}
	var v Validator
	require.NoError(t, v.Validate(l, now))
	assert.Zero(t, testing.AllocsPerRun(50, func() { _ = v.Validate(l, now) }))
}
