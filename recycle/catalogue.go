package recycle

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/leadqual/leadqual/internal/enum"
	"github.com/leadqual/leadqual/internal/strictjson"
	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/qualify"
)

// Catalogue is what the host's business sells and the industry it sells
// in: the data a new interest of a recycled lead is classified against
// (seed 000: new interests are information, not betrayal). It is plain data
// that round-trips through JSON:
//
//	{
//	  "products": [
//	    {"name": "RoutePlanner", "aliases": ["route planner"], "topics": ["route optimisation"]}
//	  ],
//	  "industry": ["fleet management", "telematics"],
//	  "competitors": ["Acme Fleet"]
//	}
//
// Terms match whole words, case-insensitively, anywhere in an activity's
// product, topic or asset title: "route optimisation" matches the white
// paper "Route Optimisation for Small Fleets". A term may appear only once
// in the whole catalogue.
type Catalogue struct {
	// Products are the products and services this business sells.
	Products []Product `json:"products,omitempty"`
	// Industry are topics of this business's industry that it does not
	// sell itself: interest in them elsewhere is a competitive risk.
	Industry []string `json:"industry,omitempty"`
	// Competitors are vendors in the same industry.
	Competitors []string `json:"competitors,omitempty"`
}

// Product is one product or service of the host's business.
type Product struct {
	// Name is the product's name; a match reports it. Required.
	Name string `json:"name"`
	// Aliases are other names for it: spellings, abbreviations, SKUs.
	Aliases []string `json:"aliases,omitempty"`
	// Topics are what the product is about: an interest in one of them is
	// an interest this product could have earned.
	Topics []string `json:"topics,omitempty"`
}

// Limits of a catalogue.
const (
	maxTerms      = 10000 // terms in a catalogue
	maxTermLen    = 200   // bytes in a term
	maxTermTokens = 16    // words in a term
	maxClassify   = 4096  // bytes of each text classified; the rest is ignored
	maxJSON       = 1 << 20
)

// Class is what a new interest means for a recycled lead.
//
// The zero value is ClassUnrelated.
type Class uint8

// The classes.
const (
	// ClassUnrelated: nothing this business sells or competes in. No change.
	ClassUnrelated Class = iota
	// ClassOurs: something this business also sells: requalify now, the
	// lead should have been recycled sooner. The Scheduler wakes it.
	ClassOurs
	// ClassCompetitive: the same industry, from another vendor: flag the
	// risk and keep the schedule.
	ClassCompetitive
)

var classTable = enum.Table[Class]{Type: "class", Names: []string{"unrelated", "ours", "competitive"}}

// String returns the class's name: "unrelated", "ours" or "competitive".
func (c Class) String() string { return classTable.Name(c) }

// MarshalText implements encoding.TextMarshaler.
func (c Class) MarshalText() ([]byte, error) { return classTable.Marshal(c) }

// UnmarshalText implements encoding.TextUnmarshaler.
func (c *Class) UnmarshalText(text []byte) error {
	v, err := classTable.Parse(string(text))
	if err != nil {
		return err
	}
	*c = v
	return nil
}

// Match is the classification of one new interest.
type Match struct {
	// Class is what the interest means: ours, competitive or unrelated.
	Class Class `json:"class"`
	// Product is, for ClassOurs, the name of our product the interest
	// concerns; empty when a need shown to us names no product we list.
	Product string `json:"product,omitempty"`
	// Term is the catalogue term that matched, as the catalogue writes it.
	Term string `json:"term,omitempty"`
	// Competitor is the competitor involved, when the activity names one
	// (its "vendor" attribute, or its text). It may be set with ClassOurs:
	// a competitor is courting the lead for something we sell.
	Competitor string `json:"competitor,omitempty"`
	// Reason says it in words: "new interest in RoutePlanner",
	// "competitive risk: telematics (Acme Fleet)"; empty when unrelated.
	Reason string `json:"reason,omitempty"`
}

// Classifier classifies new interests against a [Catalogue]. It is
// compiled by [NewClassifier], immutable, and safe for concurrent use.
type Classifier struct {
	terms       map[string][]term // by first word
	competitors map[string]string // normalised name -> name as written
	vocab       *qualify.Vocabulary
}

type term struct {
	words   []string
	class   Class
	product string // ClassOurs: the product's name
	text    string // as written
}

// ParseCatalogue reads a catalogue from its JSON form (at most 1 MiB;
// unknown fields are refused) and validates it as NewClassifier does.
func ParseCatalogue(data []byte) (Catalogue, error) {
	var c Catalogue
	if err := decodeStrict(data, &c); err != nil {
		return Catalogue{}, fmt.Errorf("recycle: catalogue: %w", err)
	}
	if _, err := NewClassifier(c, qualify.DefaultVocabulary()); err != nil {
		return Catalogue{}, err
	}
	return c, nil
}

// decodeStrict decodes one JSON value of at most maxJSON bytes into v,
// strictly (internal/strictjson), every problem with its path, line and
// column.
func decodeStrict(data []byte, v any) error {
	if err := strictjson.DecodeLimit(data, v, maxJSON); err != nil {
		return Invalid(strictjson.Problems(err)...)
	}
	return nil
}

// NewClassifier validates c and compiles it. Every term (a name, an alias,
// a topic, an industry topic, a competitor) must be non-empty text with at
// least one letter or digit, at most 200 bytes and 16 words, and appear
// only once in the catalogue; an invalid catalogue is an error naming each
// offending entry (errors.Is(err, ErrInvalid)). The zero Catalogue gives a
// Classifier that finds everything unrelated except needs shown to us.
//
// v is what activities mean: which kinds are need (a need shown to us is
// ours even when it names no product), negative, or the vendor's own
// touches. Pass the qualify policy's Vocabulary(), so that a kind the
// policy declares need wakes a recycled lead as the policy would route it;
// it is required.
func NewClassifier(c Catalogue, v *qualify.Vocabulary) (*Classifier, error) {
	cl := &Classifier{terms: make(map[string][]term), competitors: make(map[string]string), vocab: v}
	var p problems
	if v == nil {
		p.add("vocabulary", "required: pass the qualify policy's Vocabulary() (qualify.DefaultVocabulary() for the default policy)")
	}
	seen := make(map[string]string) // normalised term -> where
	n := 0
	add := func(field, text string, class Class, product string) {
		if n++; n > maxTerms {
			if n == maxTerms+1 {
				p.add(field, "more than %d terms", maxTerms)
			}
			return
		}
		switch {
		case len(text) > maxTermLen:
			p.add(field, "%d bytes, more than %d", len(text), maxTermLen)
			return
		case !utf8.ValidString(text):
			p.add(field, "not valid UTF-8")
			return
		}
		words := tokenize(text, maxTermLen)
		switch {
		case len(words) == 0:
			p.add(field, "%q has no letter or digit", text)
			return
		case len(words) > maxTermTokens:
			p.add(field, "%d words, more than %d", len(words), maxTermTokens)
			return
		}
		key := strings.Join(words, " ")
		if where, dup := seen[key]; dup {
			p.add(field, "%q is already in the catalogue as %s", text, where)
			return
		}
		seen[key] = field
		cl.terms[words[0]] = append(cl.terms[words[0]], term{words: words, class: class, product: product, text: text})
		if class == ClassCompetitive && product != "" { // a competitor
			cl.competitors[key] = text
		}
	}
	for i, pr := range c.Products {
		f := fmt.Sprintf("products[%d]", i)
		if strings.TrimSpace(pr.Name) == "" {
			p.add(f+".name", "empty")
			continue
		}
		add(f+".name", pr.Name, ClassOurs, pr.Name)
		for j, a := range pr.Aliases {
			add(fmt.Sprintf("%s.aliases[%d]", f, j), a, ClassOurs, pr.Name)
		}
		for j, t := range pr.Topics {
			add(fmt.Sprintf("%s.topics[%d]", f, j), t, ClassOurs, pr.Name)
		}
	}
	for i, t := range c.Industry {
		add(fmt.Sprintf("industry[%d]", i), t, ClassCompetitive, "")
	}
	for i, t := range c.Competitors {
		add(fmt.Sprintf("competitors[%d]", i), t, ClassCompetitive, t)
	}
	if err := p.err(); err != nil {
		return nil, fmt.Errorf("recycle: invalid catalogue: %w", err)
	}
	return cl, nil
}

// tokenize lower-cases the first limit bytes of s and splits them into
// words of letters and digits. A rune cut in two by the limit, like any
// invalid byte, separates words.
func tokenize(s string, limit int) []string {
	if len(s) > limit {
		s = s[:limit]
	}
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

// found is a term found in one of the texts classified.
type found struct {
	t    *term
	text int // which text
	pos  int // at which word
}

// better reports whether f beats g: ours before competitive, then the
// earlier text, then the longer term, then the earlier word.
func (f found) better(g found) bool {
	switch {
	case g.t == nil:
		return true
	case f.t.class != g.t.class:
		return f.t.class == ClassOurs
	case f.text != g.text:
		return f.text < g.text
	case len(f.t.words) != len(g.t.words):
		return len(f.t.words) > len(g.t.words)
	}
	return f.pos < g.pos
}

// scan returns the best term found in texts.
func (c *Classifier) scan(texts ...string) found {
	var best found
	for k, s := range texts {
		words := tokenize(s, maxClassify)
		for i, w := range words {
			ts := c.terms[w]
			for j := range ts {
				t := &ts[j]
				if len(t.words) > len(words)-i || !equalWords(t.words, words[i:i+len(t.words)]) {
					continue
				}
				if f := (found{t, k, i}); f.better(best) {
					best = f
				}
			}
		}
	}
	return best
}

func equalWords(a, b []string) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// competitor returns the competitor named vendor, as the catalogue writes
// it, or "".
func (c *Classifier) competitor(vendor string) string {
	if vendor == "" {
		return ""
	}
	return c.competitors[strings.Join(tokenize(vendor, maxTermLen), " ")]
}

// Topic classifies an interest in a topic, such as a lead.Interest's.
func (c *Classifier) Topic(topic string) Match {
	return c.match(c.scan(topic), "")
}

// Activity classifies a new activity of a recycled lead. It reads the
// activity's Product, its "topic" attribute and its Asset (in that order
// of precedence), and its "vendor" attribute, which names who the interest
// was shown to when it was not this business (intent data, review sites):
//
//   - negative activities (unsubscribes, bounces) and the vendor's own
//     touches (a nurture email about our product) are no new interest:
//     ClassUnrelated;
//   - a term of one of our products: ClassOurs, with the product, whoever
//     the vendor (Competitor is then set as well);
//   - an industry topic, or a competitor named in the text or as the
//     vendor: ClassCompetitive;
//   - a need (pricing, a quote, a demo, ...) shown to us, with no vendor,
//     about nothing the catalogue lists: ClassOurs all the same, for it
//     was asked of us;
//   - anything else: ClassUnrelated.
func (c *Classifier) Activity(a lead.Activity) Match {
	meaning := c.vocab.Meaning(a.Kind)
	intent := meaning.Intent
	if intent == lead.IntentNegative || meaning.Touch != lead.TouchNone && intent != lead.IntentNeed {
		return Match{}
	}
	vendor := a.Attrs["vendor"]
	comp := c.competitor(vendor)
	m := c.match(c.scan(a.Product, a.Attrs["topic"], a.Asset), comp)
	switch {
	case m.Class != ClassUnrelated:
		return m
	case comp != "":
		return Match{Class: ClassCompetitive, Competitor: comp, Reason: "competitive risk: interest shown to " + comp}
	case intent == lead.IntentNeed && strings.TrimSpace(vendor) == "":
		m := Match{Class: ClassOurs, Product: a.Product, Reason: "new need: " + meaning.Description}
		if a.Product != "" {
			m.Reason = "new interest in " + a.Product + ": " + meaning.Description
		}
		return m
	}
	return Match{}
}

func (c *Classifier) match(f found, comp string) Match {
	if f.t == nil {
		return Match{}
	}
	m := Match{Class: f.t.class, Term: f.t.text, Competitor: comp}
	switch {
	case f.t.class == ClassOurs:
		m.Product = f.t.product
		m.Reason = "new interest in " + f.t.product
	case f.t.product != "": // a competitor named in the text
		m.Competitor = f.t.text
		m.Reason = "competitive risk: interest shown to " + f.t.text
	default:
		m.Reason = "competitive risk: " + f.t.text
		if comp != "" {
			m.Reason += " (" + comp + ")"
		}
	}
	return m
}
