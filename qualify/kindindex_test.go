package qualify

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/leadqual/leadqual/lead"
)

// TestKindIndexAgainstMap: on random sets of kinds of every length, with
// kinds that share their first, middle and last eight bytes and differ
// elsewhere (so that no multiplier separates them and the index is not
// perfect), lookup answers what a map answers, for every kind of the set
// and for kinds near them that are not in it.
func TestKindIndexAgainstMap(t *testing.T) {
	const alphabet = "abcdefgh_"
	r := rand.New(rand.NewPCG(1, 2))
	word := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		return string(b)
	}
	perfect := 0
	for round := range 500 {
		set := map[lead.Kind]int{}
		var kinds []lead.Kind
		add := func(k string) {
			if _, ok := set[lead.Kind(k)]; !ok {
				set[lead.Kind(k)] = len(kinds)
				kinds = append(kinds, lead.Kind(k))
			}
		}
		for range 1 + r.IntN(40) {
			add(word(r.IntN(40)))
		}
		if round%2 == 0 { // twins longer than 24 bytes: equal words, different text
			base := word(8) + word(8) + "x" + word(8) + word(8)
			twin := []byte(base)
			twin[16] = 'y'
			add(base)
			add(string(twin))
		}
		x := newKindIndex(kinds)
		if x.perfect {
			perfect++
		}
		if round%2 == 0 {
			require.False(t, x.perfect, "round %d: twins share a home slot", round)
		}
		for k, i := range set {
			require.Equal(t, i, x.lookup(k), "round %d: kind %q", round, k)
		}
		for range 200 {
			var probe string
			switch r.IntN(3) {
			case 0:
				probe = word(r.IntN(40))
			case 1: // a member with one byte changed
				k := []byte(kinds[r.IntN(len(kinds))])
				if len(k) > 0 {
					k[r.IntN(len(k))] = 'z'
				}
				probe = string(k)
			default: // a member cut or extended
				k := string(kinds[r.IntN(len(kinds))])
				probe = strings.TrimSuffix(k, k[len(k)/2:]) + word(r.IntN(3))
			}
			want, ok := set[lead.Kind(probe)]
			if !ok {
				want = -1
			}
			require.Equal(t, want, x.lookup(lead.Kind(probe)), "round %d: probe %q", round, probe)
		}
	}
	require.Greater(t, perfect, 100, "most sets without twins get a perfect index")
}
