package match_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/leadqual/leadqual/match"
)

// The normalisers are parsers of text typed by strangers: they never
// panic, they are idempotent, and what they return is what they promise.

func FuzzDomain(f *testing.F) {
	for _, s := range []string{"acme.example", "https://www.Acme.example:8080/x?y", "www.www.a.b", "a..b", "xn--bcher-kva.example", "é.example."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d := match.Domain(s)
		if d == "" {
			return
		}
		if match.Domain(d) != d {
			t.Fatalf("Domain(%q) = %q, but Domain(%q) = %q", s, d, d, match.Domain(d))
		}
		if !utf8.ValidString(d) || d != strings.ToLower(d) || !strings.Contains(d, ".") || strings.ContainsAny(d, " /:@") {
			t.Fatalf("Domain(%q) = %q is not a normalised domain", s, d)
		}
	})
}

func FuzzEmail(f *testing.F) {
	for _, s := range []string{"Ann.Lee+x@GoogleMail.com", "a@b.c", "@x.y", "a@b@c.example", "+@x.example", "a.@gmail.com", "..@gmail.com"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e := match.Email(s)
		if e == "" {
			return
		}
		if match.Email(e) != e {
			t.Fatalf("Email(%q) = %q, but Email(%q) = %q", s, e, e, match.Email(e))
		}
		i := strings.LastIndexByte(e, '@')
		if i <= 0 || match.Domain(e[i+1:]) != e[i+1:] {
			t.Fatalf("Email(%q) = %q has no normalised domain", s, e)
		}
	})
}

func FuzzPhone(f *testing.F) {
	for _, s := range []string{"+44 20 7946 0958", "0044 20 7946 0958", "020 7946 0958", "+", "00", "0000000", "+1 (555) 010-0100"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p := match.Phone(s)
		if p == "" {
			return
		}
		if match.Phone(p) != p {
			t.Fatalf("Phone(%q) = %q, but Phone(%q) = %q", s, p, p, match.Phone(p))
		}
		digits := strings.TrimPrefix(p, "+")
		if len(digits) < 7 || len(digits) > 15 || strings.Trim(digits, "0123456789") != "" {
			t.Fatalf("Phone(%q) = %q is not 7 to 15 digits", s, p)
		}
	})
}

func FuzzName(f *testing.F) {
	for _, s := range []string{"Ann Lee", "Mary O'Brien", "  x  y ", "Ann"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := match.Name(s)
		if n != "" && match.Name(n) != n {
			t.Fatalf("Name(%q) = %q, but Name(%q) = %q", s, n, n, match.Name(n))
		}
	})
}
