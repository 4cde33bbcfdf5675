// Package stress holds the test that runs the library's packages together
// under concurrent load and the race detector: compiled policies evaluated
// by many goroutines while the host swaps them, and the recycle scheduler's
// store hammered by schedule, claim, acknowledge and wake at the same time.
// It has no API.
package stress
