package main

import (
	"errors"
	"net/http"

	"github.com/leadqual/leadqual/ingest"
	"github.com/leadqual/leadqual/lead"
)

// decodeLead decodes the body of POST /v1/leads: exactly one JSON object
// that is a lead, with no unknown fields.
//
// Every problem is listed with its path, line and column, so that a client
// fixes them all in one round: an unknown field "contact.emial", an unknown
// role at "contact.role", a time that does not parse at "activities[2].at".
// A body that is not one JSON value at all is a 400 malformed_json; JSON
// that is not a lead, a 400 invalid_json.
func decodeLead(data []byte) (lead.Lead, *APIError) {
	var l lead.Lead
	err := ingest.DecodeJSON(data, &l)
	if err == nil {
		return l, nil
	}
	var je *ingest.JSONError
	if !errors.As(err, &je) || len(je.Problems) == 0 {
		return lead.Lead{}, apiError(http.StatusBadRequest, CodeInvalidJSON, "the body is not a lead: %v", err)
	}
	fes := je.Problems
	if je.Malformed {
		if je.Empty {
			return lead.Lead{}, apiError(http.StatusBadRequest, CodeMalformedJSON, "the body is empty: send a lead as a JSON object")
		}
		if errors.Is(err, ingest.ErrInvalidUTF8) {
			return lead.Lead{}, utf8Problems(fes)
		}
		fe := fes[0]
		e := apiError(http.StatusBadRequest, CodeMalformedJSON, "malformed JSON at line %d, column %d: %s", fe.Line, fe.Column, fe.Problem)
		e.Problems = []Problem{fieldProblem(fe)}
		return lead.Lead{}, e
	}
	e := apiError(http.StatusBadRequest, CodeInvalidJSON, "the body is not a lead: %s", plural(len(fes), "problem"))
	for _, fe := range fes {
		e.Problems = append(e.Problems, fieldProblem(fe))
	}
	return lead.Lead{}, e
}

// utf8Problems is a 400 for a body that is not valid UTF-8, naming each
// key and value that is not.
func utf8Problems(fes []*lead.FieldError) *APIError {
	e := apiError(http.StatusBadRequest, CodeMalformedJSON, "the body is not valid UTF-8: %s", plural(len(fes), "problem"))
	for _, fe := range fes {
		e.Problems = append(e.Problems, fieldProblem(fe))
	}
	return e
}
