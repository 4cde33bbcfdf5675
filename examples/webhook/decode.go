package main

import (
	"errors"
	"net/http"
	"strings"

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
func decodeLead(data []byte) (lead.Lead, *APIError) { return decodeStrict[lead.Lead](data, "lead") }

// decodeAccount decodes the body of POST /v1/accounts as decodeLead
// decodes a lead: an account with its leads, every problem with its path
// ("leads[2].contact.emial").
func decodeAccount(data []byte) (lead.Account, *APIError) {
	return decodeStrict[lead.Account](data, "account")
}

// decodeStrict decodes exactly one JSON object of type T, called what in
// messages, with no unknown fields.
func decodeStrict[T any](data []byte, what string) (T, *APIError) {
	var v, zero T
	err := ingest.DecodeJSON(data, &v)
	if err == nil {
		return v, nil
	}
	var je *ingest.JSONError
	if !errors.As(err, &je) || len(je.Problems) == 0 {
		return zero, apiError(http.StatusBadRequest, CodeInvalidJSON, "the body is not %s: %v", article(what), err)
	}
	fes := je.Problems
	if je.Malformed {
		if je.Empty {
			return zero, apiError(http.StatusBadRequest, CodeMalformedJSON, "the body is empty: send %s as a JSON object", article(what))
		}
		if errors.Is(err, ingest.ErrInvalidUTF8) {
			return zero, utf8Problems(fes)
		}
		fe := fes[0]
		e := apiError(http.StatusBadRequest, CodeMalformedJSON, "malformed JSON at line %d, column %d: %s", fe.Line, fe.Column, fe.Problem)
		e.Problems = []Problem{fieldProblem(fe)}
		return zero, e
	}
	e := apiError(http.StatusBadRequest, CodeInvalidJSON, "the body is not %s: %s", article(what), plural(len(fes), "problem"))
	for _, fe := range fes {
		e.Problems = append(e.Problems, fieldProblem(fe))
	}
	return zero, e
}

func article(noun string) string {
	if strings.IndexByte("aeiou", noun[0]) >= 0 {
		return "an " + noun
	}
	return "a " + noun
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
