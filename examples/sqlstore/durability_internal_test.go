package sqlstore

import (
	"testing"

	"github.com/leadqual/leadqual/recycle"
	"github.com/stretchr/testify/assert"
)

// TestUnused checks which reserved versions a claim gives back: those no
// entry it returned has, whatever their order.
func TestUnused(t *testing.T) {
	claimed := func(vs ...uint64) []recycle.Entry {
		var es []recycle.Entry
		for _, v := range vs {
			es = append(es, recycle.Entry{Version: v})
		}
		return es
	}
	tests := []struct {
		name string
		vs   []int64
		es   []recycle.Entry
		want []int64
	}{
		{"none claimed", []int64{7, 8, 9}, nil, []int64{7, 8, 9}},
		{"all claimed", []int64{7, 8, 9}, claimed(9, 7, 8), nil},
		{"some claimed", []int64{7, 8, 9, 10}, claimed(7, 8), []int64{9, 10}},
		{"claimed out of order", []int64{7, 8, 9, 10}, claimed(10, 8), []int64{7, 9}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, unused(tc.vs, tc.es))
		})
	}
}

// TestVersionPool checks that the pool hands out each version it holds
// once, and what is given back again.
func TestVersionPool(t *testing.T) {
	var p versionPool
	p.init()
	p.giveBack([]int64{1, 2, 3, 4, 5})
	assert.Nil(t, p.pop(6), "fewer than asked: none")
	a := p.pop(2)
	b := p.pop(3)
	assert.Len(t, a, 2)
	assert.Len(t, b, 3)
	assert.ElementsMatch(t, []int64{1, 2, 3, 4, 5}, append(append([]int64{}, a...), b...), "each once")
	assert.Nil(t, p.pop(1), "empty")
	p.giveBack(b[1:])
	assert.ElementsMatch(t, b[1:], p.pop(2), "given back, handed out again")
	p.giveBack(nil)
	assert.Nil(t, p.pop(1))
}
