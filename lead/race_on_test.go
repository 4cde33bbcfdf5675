//go:build race

package lead

// raceEnabled reports whether the race detector is on: it makes sync.Pool
// drop items at random, so allocation counts are measured without it.
const raceEnabled = true
