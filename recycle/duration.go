package recycle

import "time"

// Day and Week are the calendar-free units horizons are written in: 24 and
// 168 hours of elapsed time. Working hours, when configured, are applied in
// the lead's time zone afterwards, so daylight-saving changes move nothing.
const (
	Day  = 24 * time.Hour
	Week = 7 * Day
)
