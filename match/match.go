package match

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/leadqual/leadqual/lead"
)

// freeMail are the free mail domains the package knows, sorted.
var freeMail = []string{
	"126.com", "163.com", "aim.com", "aol.com", "bigpond.com", "btinternet.com", "comcast.net",
	"fastmail.com", "free.fr", "gmail.com", "gmx.at", "gmx.com", "gmx.de", "gmx.net", "googlemail.com",
	"hey.com", "hotmail.co.uk", "hotmail.com", "hotmail.de", "hotmail.es", "hotmail.fr", "hotmail.it",
	"icloud.com", "laposte.net", "libero.it", "live.co.uk", "live.com", "live.fr", "mac.com", "mail.com",
	"mail.ru", "me.com", "msn.com", "naver.com", "orange.fr", "outlook.com", "outlook.de", "outlook.fr",
	"pm.me", "proton.me", "protonmail.com", "qq.com", "rediffmail.com", "sfr.fr", "sky.com", "t-online.de",
	"tutanota.com", "verizon.net", "virginmedia.com", "wanadoo.fr", "web.de", "yahoo.co.in", "yahoo.co.jp",
	"yahoo.co.uk", "yahoo.com", "yahoo.de", "yahoo.es", "yahoo.fr", "yahoo.it", "yandex.com", "yandex.ru",
	"ymail.com", "zoho.com",
}

// FreeMailDomains returns the free mail domains the package knows, sorted:
// addresses at them say nothing about the company a lead works for. The
// slice is a copy.
func FreeMailDomains() []string { return slices.Clone(freeMail) }

// Config configures a [Matcher]. The zero Config is ready to use.
type Config struct {
	// FreeMail are free mail domains beyond FreeMailDomains(): the host's
	// regional providers, its own staff's domain for test leads. Each must
	// be a domain name; they are normalised as Domain does.
	FreeMail []string
}

// ErrInvalidConfig is the identity of a refused Config; the error names
// the field.
var ErrInvalidConfig = errors.New("match: invalid config")

// Matcher groups leads into accounts and finds duplicate leads. Build it
// with [New]; it is immutable and safe for concurrent use.
type Matcher struct {
	free map[string]bool
}

// New returns a Matcher. A FreeMail entry that is not a domain name is
// refused with an error naming it (errors.Is(err, ErrInvalidConfig)).
func New(cfg Config) (*Matcher, error) {
	m := &Matcher{free: make(map[string]bool, len(freeMail)+len(cfg.FreeMail))}
	for _, d := range freeMail {
		m.free[d] = true
	}
	for i, d := range cfg.FreeMail {
		n := Domain(d)
		if n == "" {
			return nil, fmt.Errorf("%w: FreeMail[%d]: %q is not a domain name", ErrInvalidConfig, i, clip(d))
		}
		m.free[n] = true
	}
	return m, nil
}

// FreeMail reports whether domain is a free mail domain, after
// normalising it.
func (m *Matcher) FreeMail(domain string) bool { return m.free[Domain(domain)] }

// CompanyDomain returns the normalised company domain of a lead: its
// company's domain, or else its email address's domain unless that is a
// free mail domain; "" when it has neither.
func (m *Matcher) CompanyDomain(l *lead.Lead) string {
	if d := Domain(l.Company.Domain); d != "" {
		return d
	}
	return m.emailDomain(l.Contact.Email)
}

func (m *Matcher) emailDomain(email string) string {
	i := strings.LastIndexByte(email, '@')
	if i < 0 {
		return ""
	}
	d := Domain(email[i+1:])
	if m.free[d] {
		return ""
	}
	return d
}

// Accounts groups leads by company domain into accounts, one per domain,
// in the order of their domains, and returns the indexes of the leads
// without a company domain (free mail only, or no address), in input
// order.
//
// Each account's ID and Company.Domain are the domain; its company's other
// fields are the first non-empty ones among its leads, in input order; its
// Owner is the owner its leads name, when they name one only; its
// CreatedAt the earliest of theirs. Its Leads are deep copies of the
// leads (lead.Lead.Clone), in input order: changing them changes nothing
// in leads.
func (m *Matcher) Accounts(leads []lead.Lead) (accounts []lead.Account, alone []int) {
	byDomain := map[string][]int{}
	for i := range leads {
		d := m.CompanyDomain(&leads[i])
		if d == "" {
			alone = append(alone, i)
			continue
		}
		byDomain[d] = append(byDomain[d], i)
	}
	for _, d := range slices.Sorted(maps.Keys(byDomain)) {
		a := lead.Account{ID: d, Company: lead.Company{Domain: d}}
		owner, owners := "", 0
		for _, i := range byDomain[d] {
			l := &leads[i]
			co := &a.Company
			co.Name = cmp.Or(co.Name, l.Company.Name)
			co.Industry = cmp.Or(co.Industry, l.Company.Industry)
			co.Country = cmp.Or(co.Country, l.Company.Country)
			co.Employees = cmp.Or(co.Employees, l.Company.Employees)
			if l.Owner != "" && l.Owner != owner {
				owner, owners = l.Owner, owners+1
			}
			if !l.CreatedAt.IsZero() && (a.CreatedAt.IsZero() || l.CreatedAt.Before(a.CreatedAt)) {
				a.CreatedAt = l.CreatedAt
			}
			a.Leads = append(a.Leads, l.Clone())
		}
		if owners == 1 {
			a.Owner = owner
		}
		accounts = append(accounts, a)
	}
	return accounts, alone
}

// Duplicate is a group of leads that may be one person.
type Duplicate struct {
	// Leads are the indexes of the leads in the input, ascending; at
	// least two.
	Leads []int
	// Keys say what links them, sorted: "email:ann@acme.example",
	// "phone:+442079460958", "name:ann lee@acme.example".
	Keys []string
}

// Duplicates finds the groups of leads that may be one person: leads that
// share a normalised email address, a normalised phone number, or a full
// name at one company domain, directly or through other leads of the
// group. Groups are ordered by their first lead. A lead's merged records
// (lead.MergedLead) add their addresses and numbers to its own.
func (m *Matcher) Duplicates(leads []lead.Lead) []Duplicate {
	parent := make([]int, len(leads))
	for i := range parent {
		parent[i] = i
	}
	find := func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	first := map[string]int{}   // key -> the first lead holding it
	shared := map[string]bool{} // keys held by two leads or more
	for i := range leads {
		for _, k := range m.keys(&leads[i]) {
			j, ok := first[k]
			if !ok {
				first[k] = i
				continue
			}
			if j != i {
				shared[k] = true
				if a, b := find(i), find(j); a != b {
					parent[max(a, b)] = min(a, b)
				}
			}
		}
	}
	groups := map[int]*Duplicate{}
	var order []int
	for i := range leads {
		r := find(i)
		g := groups[r]
		if g == nil {
			g = &Duplicate{}
			groups[r] = g
			order = append(order, r)
		}
		g.Leads = append(g.Leads, i)
	}
	for k := range shared {
		g := groups[find(first[k])]
		g.Keys = append(g.Keys, k)
	}
	var out []Duplicate
	for _, r := range order {
		if g := groups[r]; len(g.Leads) > 1 {
			slices.Sort(g.Keys)
			out = append(out, *g)
		}
	}
	return out
}

// keys returns the distinct identity keys of a lead.
func (m *Matcher) keys(l *lead.Lead) []string {
	var out []string
	add := func(prefix, v string) {
		if v != "" && !slices.Contains(out, prefix+v) {
			out = append(out, prefix+v)
		}
	}
	add("email:", Email(l.Contact.Email))
	add("phone:", Phone(l.Contact.Phone))
	for _, r := range l.Merged {
		add("email:", Email(r.Email))
		add("phone:", Phone(r.Phone))
	}
	if name := Name(l.Contact.Name); name != "" {
		if d := m.CompanyDomain(l); d != "" {
			add("name:", name+"@"+d)
		}
	}
	return out
}

// Domain normalises a domain name for comparison: lower-case, without
// surrounding spaces, a scheme ("https://"), a path, a port, a leading
// "www." or a trailing dot. It returns "" for text that is not a domain
// name: no dot, or characters a domain does not have.
func Domain(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.Index(s, "://"); i >= 0 {
		s = s[i+3:]
	}
	if i := strings.IndexAny(s, "/?#"); i >= 0 {
		s = s[:i]
	}
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		s = s[:i]
	}
	s = strings.TrimSuffix(strings.ToLower(s), ".")
	for strings.HasPrefix(s, "www.") && strings.Contains(s[4:], ".") {
		s = s[4:]
	}
	if s == "" || len(s) > 253 || !strings.Contains(s, ".") || !utf8.ValidString(s) {
		return ""
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || label[0] == '-' || label[len(label)-1] == '-' {
			return ""
		}
		for _, r := range label {
			if r != '-' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
				return ""
			}
		}
	}
	return s
}

// Email normalises an email address for comparison: lower-case, without
// surrounding spaces, its domain as Domain normalises it, without a
// "+tag" sub-address, and for gmail.com (and googlemail.com, read as
// gmail.com) without the dots of the local part, which Gmail ignores. It
// returns "" for text that is not an address: no "@", an empty local
// part, or a domain Domain refuses.
func Email(s string) string {
	s = strings.TrimSpace(s)
	i := strings.LastIndexByte(s, '@')
	if i <= 0 || !utf8.ValidString(s) {
		return ""
	}
	local, domain := strings.ToLower(s[:i]), Domain(s[i+1:])
	if domain == "" || strings.ContainsAny(local, " <>\t\r\n") {
		return ""
	}
	if j := strings.IndexByte(local, '+'); j > 0 {
		local = local[:j]
	}
	if domain == "googlemail.com" {
		domain = "gmail.com"
	}
	if domain == "gmail.com" {
		local = strings.ReplaceAll(local, ".", "")
	}
	if local == "" {
		return ""
	}
	return local + "@" + domain
}

// Phone normalises a phone number for comparison: its digits, with "+"
// for an international number (written "+44..." or "0044..."). It returns
// "" for text with fewer than 7 or more than 15 digits, or with letters:
// an extension ("x123") or a note is not part of the number.
func Phone(s string) string {
	var b strings.Builder
	intl := false
	digits := 0
	for i, r := range strings.TrimSpace(s) {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
			digits++
		case r == '+' && i == 0:
			intl = true
		case r == ' ' || r == '-' || r == '(' || r == ')' || r == '.' || r == '/':
		default:
			return ""
		}
	}
	n := b.String()
	if !intl && strings.HasPrefix(n, "00") {
		n, intl, digits = n[2:], true, digits-2
	}
	if digits < 7 || digits > 15 {
		return ""
	}
	if intl {
		return "+" + n
	}
	return n
}

// Name normalises a person's name for comparison: lower-case words of
// letters and digits, joined by single spaces ("Lee, Ann" and "ann lee"
// differ: the order of the words is kept). It returns "" for a name of
// fewer than two words, which says too little to match on.
func Name(s string) string {
	words := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '\''
	})
	if len(words) < 2 {
		return ""
	}
	return strings.Join(words, " ")
}

func clip(s string) string {
	if len(s) <= 64 {
		return s
	}
	i := 64
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "..."
}
