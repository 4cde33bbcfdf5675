package main

import (
	"testing"
	"unicode/utf8"
)

// FuzzDecodeLead: any bytes as the body of POST /v1/leads. decodeLead
// never panics, never accepts a body that is not valid UTF-8, and names a
// field for every string it refuses as not UTF-8.
func FuzzDecodeLead(f *testing.F) {
	for _, s := range []string{needLead, interestLead, "{\"id\": \"\xff\"}", "{\"a\xfe\": [1, \"\xc3\x28\"]}", "[\"\xed\xa0\x80\"]",
		`{"id": "L", "company": {"employees": "many"}}`, "{\"id\": \"L\"}\n\xff", `{"activities": [{"at": "yesterday"}]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, e := decodeLead(data)
		if e == nil {
			if !utf8.Valid(data) {
				t.Fatalf("accepted a body that is not UTF-8: %q", data)
			}
			return
		}
		if e.Status != 400 {
			t.Fatalf("status %d for a body: %v", e.Status, e)
		}
		if !utf8.Valid(data) {
			for _, p := range e.Problems {
				if p.Field == "" && p.Line == 0 {
					t.Fatalf("a UTF-8 problem without a place: %+v", p)
				}
			}
		}
	})
}
