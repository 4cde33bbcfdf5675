//go:build !race

package qualify

const raceEnabled = false
