// Package human writes values the way the library's reports and reasons
// show them to people: one format for the whole module.
package human

import (
	"fmt"
	"time"
)

// Duration writes d for people, to the minute above a minute: "2d3h",
// "1h5m", "45m", "30s", and "-15m" for a negative d. It is a display form,
// not the duration syntax of policies (lead.FormatDuration).
func Duration(d time.Duration) string {
	if d < 0 {
		return "-" + Duration(-d)
	}
	if d < time.Minute {
		return d.Round(time.Second).String()
	}
	d = d.Round(time.Minute)
	days, h, m := d/(24*time.Hour), d%(24*time.Hour)/time.Hour, d%time.Hour/time.Minute
	switch {
	case days > 0 && h > 0:
		return fmt.Sprintf("%dd%dh", days, h)
	case days > 0:
		return fmt.Sprintf("%dd", days)
	case h > 0 && m > 0:
		return fmt.Sprintf("%dh%dm", h, m)
	case h > 0:
		return fmt.Sprintf("%dh", h)
	}
	return fmt.Sprintf("%dm", m)
}
