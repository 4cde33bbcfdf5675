package nurture

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/leadqual/leadqual/internal/human"
	"github.com/leadqual/leadqual/lead"
)

// action says what to do about a finding, in a sentence.
func action(f *Finding, now time.Time) string {
	var b strings.Builder
	switch f.Kind {
	case FindingResponseBreach:
		what := "showed need"
		if f.Need != "" {
			what = f.Need.Describe()
		}
		if f.Answered.IsZero() {
			fmt.Fprintf(&b, "respond now: %s %s ago%s and no one from sales has answered; the deadline passed %s ago",
				what, human.Duration(now.Sub(f.Since)), outside(f), human.Duration(f.Overdue))
		} else {
			fmt.Fprintf(&b, "review how leads are answered: %s%s and sales answered %s later, %s past the deadline",
				what, outside(f), human.Duration(f.Answered.Sub(f.Since)), human.Duration(f.Overdue))
		}
	case FindingUnowned:
		what := "showed need"
		if f.Need != "" {
			what = f.Need.Describe()
		}
		fmt.Fprintf(&b, "assign an owner: %s %s ago%s and nobody owns the lead", what, human.Duration(now.Sub(f.Since)), outside(f))
		if f.Overdue > 0 {
			fmt.Fprintf(&b, "; the deadline passed %s ago", human.Duration(f.Overdue))
		} else {
			fmt.Fprintf(&b, "; respond within %s", human.Duration(f.Due.Sub(now)))
		}
	case FindingIgnored:
		who := "anyone"
		if salesOwned(f.Stage) {
			who = "sales"
		}
		fmt.Fprintf(&b, "touch the lead: no touch by %s for %s in %s, which allows %s",
			who, human.Duration(now.Sub(f.Since)), f.Stage, human.Duration(f.Due.Sub(f.Since)))
	case FindingUnnurtured:
		track := "a nurture track"
		if f.Track != "" {
			track = fmt.Sprintf("track %q", f.Track)
		}
		switch {
		case f.NeedsConsent && f.Channel != "":
			fmt.Fprintf(&b, "ask for consent on %s, then enrol on %s", f.Channel, track)
		case f.NeedsConsent:
			fmt.Fprintf(&b, "ask for consent to nurture, then enrol on %s", track)
		default:
			fmt.Fprintf(&b, "enrol on %s", track)
		}
		if f.Overdue > 0 {
			fmt.Fprintf(&b, ": interested %s ago and on no track", human.Duration(f.Overdue))
		}
	case FindingUnownedAccount, FindingBuyingGroup:
		accountAction(&b, f, now)
		return b.String()
	case FindingCoverage:
		if f.TargetValue.Known() {
			fmt.Fprintf(&b, "refill %s: it holds %s of the %s targeted", f.Stage, f.Value, f.TargetValue)
		} else {
			fmt.Fprintf(&b, "refill %s: it holds %d leads of the %d targeted", f.Stage, f.Leads, f.TargetLeads)
		}
	}
	if f.Owner != "" && f.Kind != FindingCoverage {
		fmt.Fprintf(&b, " (owner %s)", f.Owner)
	}
	return b.String()
}

// outside says that a finding's need arrived outside the team's hours.
func outside(f *Finding) string {
	if f.OutsideHours {
		return " outside the team's hours"
	}
	return ""
}

var kindTitles = [...]string{"Response deadline breaches", "Need with no owner", "Ignored prospects", "Unnurtured interest",
	"Accounts with need and no owner", "Buying groups without the roles that decide", "Pipeline coverage shortfalls"}

// WriteText writes the report for people: the findings by kind, each with
// its action, then the coverage table.
func (r *Report) WriteText(w io.Writer) error {
	bw := bufio.NewWriter(w)
	found := 0
	for _, t := range r.Totals {
		found += t.Found
	}
	accounts := ""
	if r.Accounts > 0 {
		accounts = plural(r.Accounts, "account") + ", "
	}
	fmt.Fprintf(bw, "Neglect audit at %s: %s%d leads, %d findings\n", r.At.Format("2006-01-02 15:04 MST"), accounts, r.Leads, found)
	if r.Skipped > 0 {
		fmt.Fprintf(bw, "%s skipped: no lead, or an unknown stage\n", plural(r.Skipped, "item"))
	}
	if r.Undated > 0 {
		fmt.Fprintf(bw, "%s undated: no touch, stage move, creation time or dated activity to judge neglect by\n", plural(r.Undated, "lead"))
	}
	i := 0
	for _, t := range r.Totals {
		if t.Found == 0 {
			continue
		}
		fmt.Fprintf(bw, "\n%s: %d", kindTitles[t.Kind], t.Found)
		if t.Kept < t.Found {
			fmt.Fprintf(bw, " (the top %d shown)", t.Kept)
		}
		bw.WriteString("\n")
		for ; i < len(r.Findings) && r.Findings[i].Kind == t.Kind; i++ {
			f := &r.Findings[i]
			if f.Kind == FindingCoverage {
				fmt.Fprintf(bw, "  - %s\n", f.Action)
				continue
			}
			who := f.Lead
			if f.Account != "" {
				who = "account " + f.Account
			}
			fmt.Fprintf(bw, "  - %s (%s, %s): %s\n", who, f.Stage, moneyText(f.Value), f.Action)
		}
	}
	if len(r.Coverage) > 0 {
		bw.WriteString("\nPipeline:\n")
		for _, c := range r.Coverage {
			var line strings.Builder
			fmt.Fprintf(&line, "  %-20s %-10s", c.Stage, plural(c.Leads, "lead"))
			for _, v := range c.Values {
				fmt.Fprintf(&line, "  %s", v)
			}
			if c.Unvalued > 0 {
				fmt.Fprintf(&line, "  (%d with no value)", c.Unvalued)
			}
			if c.Target.Leads > 0 || len(c.Target.Values) > 0 {
				var parts []string
				if c.Target.Leads > 0 {
					parts = append(parts, plural(c.Target.Leads, "lead"))
				}
				for _, v := range c.Target.Values {
					parts = append(parts, v.String())
				}
				fmt.Fprintf(&line, "  (target %s", strings.Join(parts, ", "))
				if c.Short {
					line.WriteString(": short")
				}
				line.WriteString(")")
			}
			bw.WriteString(strings.TrimRight(line.String(), " "))
			bw.WriteString("\n")
		}
	}
	if len(r.Owners) > 0 {
		fmt.Fprintf(bw, "\nOwners (imbalance %.2f: the busiest holds %.2f times the average of open leads):\n", r.Imbalance, r.Imbalance)
		tw := tabwriter.NewWriter(bw, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  OWNER\tLEADS\tOPEN\tNEED\tBREACHES\tOUTSIDE HOURS\tIGNORED")
		for _, o := range r.Owners {
			name := o.Owner
			if name == "" {
				name = "(no owner)"
			}
			fmt.Fprintf(tw, "  %s\t%d\t%d\t%d\t%d\t%d\t%d\n", clip(name, 40), o.Leads, o.Open, o.Need, o.Breaches, o.BreachesOutsideHours, o.Ignored)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		if r.OtherOwners > 0 {
			fmt.Fprintf(bw, "  %s of further owners beyond the first %d\n", plural(r.OtherOwners, "lead"), MaxOwners)
		}
	}
	return bw.Flush()
}

// String returns the report as WriteText writes it.
func (r *Report) String() string {
	var b strings.Builder
	_ = r.WriteText(&b)
	return b.String()
}

func moneyText(m lead.Money) string {
	if m.IsZero() {
		return "no value"
	}
	return m.String()
}

// plural writes "1 lead", "2 leads".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
