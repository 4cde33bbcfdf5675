package main

import (
	"fmt"
	"io"
	"time"
)

// genHeader is the header of generated exports: the default layout.
const genHeader = "id,contact.name,contact.email,contact.role,contact.time_zone,company.name,company.employees,company.country," +
	"value,stage,lost_reason,activities,consent.email,fields.plan\n"

// genExport streams a generated export of n rows, as a CRM would write it:
// need, interest, idle, lost and unsubscribed leads in several currencies,
// and one row in every 500 that does not validate. The export is made as
// it is read, so that a test of a million rows holds none of them.
func genExport(n int, now time.Time) io.Reader {
	return &genReader{n: n, now: now, buf: []byte(genHeader)}
}

type genReader struct {
	n, i int
	now  time.Time
	buf  []byte
	off  int
}

func (g *genReader) Read(p []byte) (int, error) {
	for g.off == len(g.buf) {
		if g.i == g.n {
			return 0, io.EOF
		}
		g.buf, g.off = g.row(g.buf[:0], g.i), 0
		g.i++
	}
	n := copy(p, g.buf[g.off:])
	g.off += n
	return n, nil
}

var (
	genRoles      = []string{"decision_maker", "influencer", "user", ""}
	genZones      = []string{"Europe/London", "America/New_York", "", "Europe/Berlin"}
	genCountries  = []string{"GB", "US", "DE", "FR", "NL"}
	genCurrencies = []string{"GBP", "USD", "EUR", "EUR", "GBP"}
	genPlans      = []string{"free", "pro", "team", ""}
)

// row appends row i to b.
func (g *genReader) row(b []byte, i int) []byte {
	at := func(ago time.Duration) string { return g.now.Add(-ago).UTC().Format(time.RFC3339) }
	day := 24 * time.Hour
	email := fmt.Sprintf("lead%d@company%d.example", i, i%997)
	if i%500 == 499 {
		email = "not an email" // skipped, with its line number
	}
	var acts, stage, lost, consent string
	switch i % 5 {
	case 0: // need
		acts = "white_paper@" + at(10*day) + ";email_click@" + at(3*day) + ";pricing_request@" + at(time.Duration(i%50)*time.Minute)
		stage = "new"
	case 1: // interest
		acts = "ebook@" + at(20*day) + ";webinar_attended@" + at(5*day) + ";page_visit@" + at(2*day)
		stage = "nurturing"
	case 2: // idle
		acts = "page_visit@" + at(40*day)
		stage = "new"
	case 3: // lost to a preferred supplier
		acts = "demo_request@" + at(200*day) + ";call_connected@" + at(190*day)
		stage, lost = "lost", "preferred_supplier"
	case 4: // unsubscribed
		acts = "newsletter_signup@" + at(300*day) + ";unsubscribe@" + at(30*day)
		stage, consent = "nurturing", "opted_out@"+at(30*day)
	}
	if consent == "" && i%3 == 0 {
		consent = "opted_in@" + at(400*day)
	}
	c := i % len(genCountries)
	return fmt.Appendf(b, "L-%07d,Lead %d,%s,%s,%s,Company %d,%d,%s,%d.%02d %s,%s,%s,%s,%s,%s\n",
		i, i, email, genRoles[i%len(genRoles)], genZones[i%len(genZones)], i%997, 5+i%900, genCountries[c],
		1000+i%90000, i%100, genCurrencies[c], stage, lost, acts, consent, genPlans[i%len(genPlans)])
}
