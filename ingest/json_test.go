package ingest_test

import (
	"errors"
	"testing"

	"github.com/leadqual/leadqual/ingest"
	"github.com/leadqual/leadqual/lead"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDecodeJSON(t *testing.T) {
	tests := []struct {
		name             string
		in               string
		malformed, empty bool
		paths            []string
	}{
		{"a lead", `{"id": "L-1", "contact": {"email": "a@example.com", "role": "user"}}`, false, false, nil},
		{"empty", ``, true, true, []string{""}},
		{"white space", " \n ", true, true, []string{""}},
		{"cut short", `{"id": "L-1"`, true, false, nil},
		{"syntax", `{"id": "L-1",, }`, true, false, nil},
		{"trailing data", `{"id": "L-1"} {}`, true, false, nil},
		{"unknown fields everywhere", `{"id": "L-1", "contact": {"emial": "x"}, "activities": [{"kind": "white_paper", "at": "2026-01-01T00:00:00Z", "size": 3}]}`,
			false, false, []string{"contact.emial", "activities[0].size"}},
		{"a value of the wrong type", `{"id": 7}`, false, false, []string{"id"}},
		{"an unknown role", `{"id": "L", "contact": {"role": "boss"}}`, false, false, []string{"contact.role"}},
		{"not UTF-8", "{\"id\": \"L\xff\", \"contact\": {\"name\": \"\xc3\x28\"}}", true, false, []string{"id", "contact.name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var l lead.Lead
			err := ingest.DecodeJSON([]byte(tt.in), &l)
			if tt.paths == nil && !tt.malformed {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			var je *ingest.JSONError
			require.ErrorAs(t, err, &je)
			assert.Equal(t, tt.malformed, je.Malformed)
			assert.Equal(t, tt.empty, je.Empty)
			require.NotEmpty(t, je.Problems)
			var fe *lead.FieldError
			require.True(t, errors.As(err, &fe), "errors.As reaches a field")
			if tt.paths != nil {
				var got []string
				for _, p := range je.Problems {
					got = append(got, p.Path)
				}
				assert.Equal(t, tt.paths, got)
			}
			if !tt.empty {
				assert.Positive(t, je.Problems[0].Line)
				assert.Positive(t, je.Problems[0].Column)
			}
			assert.Contains(t, err.Error(), "ingest: ")
		})
	}
}

func TestDecodeJSONRefusesInvalidUTF8(t *testing.T) {
	var l lead.Lead
	err := ingest.DecodeJSON([]byte("{\"id\": \"L\xff\"}"), &l)
	require.ErrorIs(t, err, ingest.ErrInvalidUTF8)
	var je *ingest.JSONError
	require.ErrorAs(t, err, &je)
	assert.True(t, je.Malformed)
	assert.Equal(t, "id", je.Problems[0].Path)
}
