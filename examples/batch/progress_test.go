package main

import (
	"bytes"
	"context"
	"iter"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// steppingClock returns a clock that advances by step on every reading.
func steppingClock(step time.Duration) func() time.Time {
	now := t0
	return func() time.Time {
		now = now.Add(step)
		return now
	}
}

func TestProgress(t *testing.T) {
	tests := []struct {
		name  string
		total int64
		read  int64
		want  string
	}{
		{"a file: share done and time left", 1000, 250, "\r\x1b[K300 rows, 1000 rows/s, 25%, 1s left"},
		{"a pipe: no total", 0, 250, "\r\x1b[K300 rows, 1000 rows/s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			p := NewProgress(&out, tt.total, func() int64 { return tt.read }, steppingClock(100*time.Millisecond))
			p.Update(0)   // starts the clock, draws nothing
			p.Update(100) // 100ms: not due
			p.Update(200) // 200ms: not due
			assert.Empty(t, out.String())
			p.Update(300) // 300ms: due
			assert.Equal(t, tt.want, out.String())
			out.Reset()
			p.Clear()
			assert.Equal(t, "\r\x1b[K", out.String(), "Clear erases a line that is shown")
			out.Reset()
			p.Clear()
			assert.Empty(t, out.String(), "and nothing when none is")
		})
	}
}

// TestProgressInRun: with -progress always, stderr gets the progress line,
// erased before each row report and before the summary.
func TestProgressInRun(t *testing.T) {
	var stderr bytes.Buffer
	status := run(context.Background(), []string{"-now", "2026-03-02T09:00:00Z", "-progress", "always", "testdata/bad.csv"},
		stdio{out: &bytes.Buffer{}, err: &stderr, clock: steppingClock(time.Second)})
	assert.Equal(t, exitSkipped, status)
	got := stderr.String()
	assert.Regexp(t, `\r\x1b\[K\d+ rows, \d+ rows/s, \d+%, \d+s left`, got, "rows, rate, share of the file, time left")
	assert.Contains(t, got, "\r\x1b[Kline 4, lead \"B-03\"", "a report starts on an erased line")
	assert.Contains(t, got, "\r\x1b[Kpolicy leadqual-default", "so does the summary")
}

func TestProgressOnlyOnATerminal(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
	require.NoError(t, err)
	defer f.Close()
	assert.False(t, isTerminal(f), "a file is not a terminal")
	null, err := os.Open(os.DevNull)
	require.NoError(t, err)
	defer null.Close()
	assert.True(t, isTerminal(null), "a character device counts as one")

	for _, tt := range []struct {
		progress string
		terminal bool
		shown    bool
	}{
		{"auto", false, false}, {"auto", true, true}, {"never", true, false}, {"always", false, true},
	} {
		var stderr bytes.Buffer
		run(context.Background(), []string{"-now", "2026-03-02T09:00:00Z", "-progress", tt.progress, "testdata/default.csv"},
			stdio{out: &bytes.Buffer{}, err: &stderr, terminal: tt.terminal, clock: steppingClock(time.Second)})
		assert.Equal(t, tt.shown, strings.Contains(stderr.String(), "rows/s, "), "-progress %s, terminal %v", tt.progress, tt.terminal)
	}
}

func TestOrderedMap(t *testing.T) {
	count := func(n int, read *int) iter.Seq[int] {
		return func(yield func(int) bool) {
			for i := range n {
				*read++
				if !yield(i) {
					return
				}
			}
		}
	}
	slowEven := func(i int) int {
		if i%2 == 0 {
			runtime.Gosched() // finish out of order
		}
		return i * 10
	}
	for _, workers := range []int{1, 2, 7} {
		read := 0
		var got []int
		for v := range orderedMap(count(2000, &read), workers, slowEven) {
			got = append(got, v)
		}
		require.Len(t, got, 2000)
		for i, v := range got {
			require.Equal(t, i*10, v, "workers=%d", workers)
		}

		// Breaking out early stops reading, a bounded distance ahead, and
		// returns (the workers have stopped: orderedMap waits for them).
		read = 0
		n := 0
		for range orderedMap(count(1_000_000, &read), workers, slowEven) {
			if n++; n == 10 {
				break
			}
		}
		assert.LessOrEqual(t, read, 10+64*workers, "workers=%d", workers)
	}
}
