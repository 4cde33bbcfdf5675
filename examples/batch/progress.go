package main

import (
	"fmt"
	"io"
	"os"
	"time"
)

// isTerminal reports whether f is a terminal (a character device), with
// the standard library only. /dev/null is a character device too, which
// is harmless: progress written there is lost.
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// progressEvery is how often the progress line is redrawn.
const progressEvery = 250 * time.Millisecond

// Progress draws a one-line progress display, redrawn in place: rows done,
// the rate, and, when the size of the input is known, the share done and
// the time left. It is for a terminal; a Progress writes nothing until
// its first Update.
type Progress struct {
	w     io.Writer
	clock func() time.Time
	total int64        // bytes of input, 0 when unknown
	read  func() int64 // bytes of input read so far

	start, last time.Time
	shown       bool
}

// NewProgress returns a Progress writing to w. total is the size of the
// input in bytes, 0 when unknown (a pipe), and read reports how much of it
// has been read (nil: unknown); clock nil means time.Now.
func NewProgress(w io.Writer, total int64, read func() int64, clock func() time.Time) *Progress {
	if clock == nil {
		clock = time.Now
	}
	if read == nil {
		total, read = 0, func() int64 { return 0 }
	}
	return &Progress{w: w, clock: clock, total: total, read: read}
}

// Update redraws the line if it is due, with the rows done so far.
func (p *Progress) Update(rows int) {
	now := p.clock()
	if p.start.IsZero() {
		p.start, p.last = now, now
		return
	}
	if now.Sub(p.last) < progressEvery {
		return
	}
	p.last = now
	elapsed := now.Sub(p.start)
	line := fmt.Sprintf("%d rows, %.0f rows/s", rows, float64(rows)/elapsed.Seconds())
	if read := p.read(); p.total > 0 && read > 0 {
		frac := min(float64(read)/float64(p.total), 1)
		eta := time.Duration(float64(elapsed) * (1 - frac) / frac)
		line += fmt.Sprintf(", %.0f%%, %s left", frac*100, eta.Round(time.Second))
	}
	fmt.Fprintf(p.w, "\r\x1b[K%s", line)
	p.shown = true
}

// Clear erases the line, so that other output starts on a clean line; the
// next Update draws it again.
func (p *Progress) Clear() {
	if p.shown {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.shown = false
	}
}
