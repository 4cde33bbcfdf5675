package human

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestDuration(t *testing.T) {
	for _, tt := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"},
		{1500 * time.Millisecond, "2s"},
		{30 * time.Second, "30s"},
		{time.Minute, "1m"},
		{90*time.Second + time.Millisecond, "2m"},
		{45 * time.Minute, "45m"},
		{time.Hour, "1h"},
		{65 * time.Minute, "1h5m"},
		{24 * time.Hour, "1d"},
		{51 * time.Hour, "2d3h"},
		{51*time.Hour + 20*time.Minute, "2d3h"},
		{-15 * time.Minute, "-15m"},
	} {
		assert.Equal(t, tt.want, Duration(tt.d), tt.d.String())
	}
}
