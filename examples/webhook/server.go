package main

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/leadqual/leadqual/assign"
	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/qualify"
)

// Defaults of Config.
const (
	DefaultMaxLeadBytes   = 1 << 20
	DefaultMaxPolicyBytes = qualify.DefaultMaxPolicyBytes
	DefaultNotifyTimeout  = 10 * time.Second
)

// Config configures a [Server]. Every zero field takes the default stated.
type Config struct {
	// Policy is the policy served from the start. Required.
	Policy *qualify.Policy
	// CompileOptions are passed to qualify.CompileJSON for every policy
	// received on PUT /v1/policy (limits, a clock).
	CompileOptions []qualify.Option
	// Logger receives one line per request and the server's events.
	// Default: discard.
	Logger *slog.Logger
	// Notifier is told about every need decision. Default: a LogNotifier
	// on Logger.
	Notifier Notifier
	// NotifyTimeout bounds each call of the Notifier. Keep it below the
	// http.Server's WriteTimeout, or the answer is lost. Default 10s.
	NotifyTimeout time.Duration
	// Clock is the server's clock: leads are validated and evaluated at
	// its `now`. Default time.Now.
	Clock func() time.Time
	// MaxLeadBytes bounds the body of POST /v1/leads. Default 1 MiB.
	MaxLeadBytes int64
	// MaxPolicyBytes bounds the body of PUT /v1/policy. Default 1 MiB.
	MaxPolicyBytes int64
	// AdminToken is the bearer token that GET and PUT /v1/policy require.
	// Empty disables both: nobody can change the policy over HTTP.
	AdminToken string
	// SavePolicy, when set, stores a policy accepted by PUT /v1/policy
	// (its JSON as received) before it goes into service; if it fails, the
	// request fails and the old policy stays. Default: policies are not
	// stored, and a restart serves the startup policy again.
	SavePolicy func(ctx context.Context, data []byte) error
	// Team, when set, gives every lead of sales' work (a decision with a
	// priority: need, review, marketing-qualified, the pipeline) an owner
	// by the host's assignment rules, before sales is notified: the
	// response names the owner and why, and the notifier sees the lead
	// with its owner. Default: no assignment.
	Team *Team
}

// Team is who owns leads: the host's assignment rules (package assign)
// and the state that counts their open leads.
type Team struct {
	// Rules are the people, their teams, territories and escalation.
	Rules assign.Rules
	// State keeps the assignments; default an in-memory assign.MemState
	// (a host with several replicas shares one over its database).
	State assign.State
}

func (c Config) withDefaults() Config {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.Notifier == nil {
		c.Notifier = LogNotifier{Logger: c.Logger, Now: c.Clock}
	}
	if c.Team != nil && c.Team.State == nil {
		t := *c.Team
		t.State = assign.NewMemState()
		c.Team = &t
	}
	c.NotifyTimeout = cmp.Or(c.NotifyTimeout, DefaultNotifyTimeout)
	c.MaxLeadBytes = cmp.Or(c.MaxLeadBytes, DefaultMaxLeadBytes)
	c.MaxPolicyBytes = cmp.Or(c.MaxPolicyBytes, DefaultMaxPolicyBytes)
	return c
}

func (c Config) validate() error {
	switch {
	case c.Policy == nil:
		return errors.New("webhook: Config.Policy is nil")
	case c.NotifyTimeout < 0:
		return fmt.Errorf("webhook: Config.NotifyTimeout is negative (%s)", c.NotifyTimeout)
	case c.MaxLeadBytes < 0:
		return fmt.Errorf("webhook: Config.MaxLeadBytes is negative (%d)", c.MaxLeadBytes)
	case c.MaxPolicyBytes < 0:
		return fmt.Errorf("webhook: Config.MaxPolicyBytes is negative (%d)", c.MaxPolicyBytes)
	}
	if c.Team != nil {
		if _, err := assign.New(cmp.Or[assign.State](c.Team.State, assign.NewMemState()), assign.Config{Rules: c.Team.Rules, Vocabulary: c.Policy.Vocabulary()}); err != nil {
			return fmt.Errorf("webhook: Config.Team: %w", err)
		}
	}
	return nil
}

// Server is the webhook's http.Handler:
//
//	POST /v1/leads     a lead (JSON) in, its decision out; need notifies sales
//	POST /v1/accounts  an account and its leads in, the account's decision out
//	                   (each contact's within it); need notifies sales of the contact who showed it
//	GET  /v1/policy    the policy in service (admin token), with its version as ETag
//	PUT  /v1/policy    compile a policy and put it into service atomically (admin token)
//	GET  /healthz      liveness, with the name and version of the policy in service
//
// The policy in service is behind an atomic pointer: a request reads it
// once and is decided by that one compiled, immutable policy from start to
// end, whatever PUT /v1/policy does meanwhile. A Server is safe for
// concurrent use.
type Server struct {
	cfg     Config
	log     *slog.Logger
	mux     *http.ServeMux
	current atomic.Pointer[servedPolicy]
	// validator keeps the time zones of the leads it has validated.
	validator lead.Validator
	// swap serialises policy changes (save, then swap), so that the
	// stored policy and the one in service cannot disagree. Lead requests
	// never take it.
	swap sync.Mutex
	ids  requestIDs
}

// requestIDs gives each request without an ID of its own a unique one:
// the server's random prefix, drawn when it starts, and a counter, in 16
// characters. Unique within the server's life (the counter's 8 characters
// of 5 bits each go round after 2^40 requests, 35 years at 1,000 a second)
// and, by the prefix, across restarts and replicas; cheaper than drawing
// random bytes per request.
type requestIDs struct {
	prefix string // 8 characters
	n      atomic.Uint64
}

func newRequestIDs() requestIDs { return requestIDs{prefix: rand.Text()[:8]} }

func (g *requestIDs) next() string {
	var b [16]byte
	copy(b[:], g.prefix)
	n := g.n.Add(1)
	const digits = "0123456789abcdefghijklmnopqrstuv" // 5 bits a character
	for i := 15; i >= 8; i-- {
		b[i] = digits[n&31]
		n >>= 5
	}
	return string(b[:])
}

// servedPolicy is a compiled policy, when it went into service, and the
// assigner that agrees with it on the response hours (nil without a Team).
type servedPolicy struct {
	policy   *qualify.Policy
	since    time.Time
	assigner *assign.Assigner
}

// serve puts p into service with the Team's rules and state.
func (s *Server) serve(p *qualify.Policy) (*servedPolicy, error) {
	sp := &servedPolicy{policy: p, since: s.cfg.Clock()}
	if t := s.cfg.Team; t != nil {
		a, err := assign.New(t.State, assign.Config{Rules: t.Rules, Vocabulary: p.Vocabulary()})
		if err != nil {
			return nil, err
		}
		sp.assigner = a
	}
	return sp, nil
}

// PolicyInfo describes a policy in service.
type PolicyInfo struct {
	Name    string    `json:"name"`
	Version string    `json:"version"`
	Rules   int       `json:"rules"`
	Since   time.Time `json:"since"`
}

func (sp *servedPolicy) info() PolicyInfo {
	return PolicyInfo{Name: sp.policy.Name(), Version: sp.policy.Version(), Rules: len(sp.policy.Rules()), Since: sp.since}
}

// LeadResponse is the body of a successful POST /v1/leads.
type LeadResponse struct {
	Decision qualify.Decision `json:"decision"`
	// Notification is "sent" or "failed" for a need decision, and absent
	// for any other.
	Notification string `json:"notification,omitempty"`
	// Assignment is the lead's owner and why, for sales' work, when the
	// server has a Team (Existing: the lead was already assigned).
	Assignment *assign.Result `json:"assignment,omitempty"`
	// Unassigned says why a lead of sales' work has no owner: nobody is
	// eligible (every person of its rules away or at capacity, or no rule
	// matches), or the assignment state failed. The decision stands.
	Unassigned string `json:"unassigned,omitempty"`
}

// appendJSON appends r as json.Encoder.Encode writes it: the decision by
// qualify.Decision.AppendJSON, which the server answers for every lead.
func (r *LeadResponse) appendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"decision":`...)
	b, err := r.Decision.AppendJSON(b)
	if err != nil {
		return b, err
	}
	switch r.Notification {
	case "":
	case "sent", "failed": // needs no escaping
		b = append(append(append(b, `,"notification":"`...), r.Notification...), '"')
	default:
		if b, err = appendMarshal(b, `,"notification":`, r.Notification); err != nil {
			return b, err
		}
	}
	if r.Assignment != nil {
		if b, err = appendMarshal(b, `,"assignment":`, r.Assignment); err != nil {
			return b, err
		}
	}
	if r.Unassigned != "" {
		if b, err = appendMarshal(b, `,"unassigned":`, r.Unassigned); err != nil {
			return b, err
		}
	}
	return append(b, '}', '\n'), nil
}

// appendMarshal appends key and v encoded by encoding/json.
func appendMarshal(b []byte, key string, v any) ([]byte, error) {
	j, err := json.Marshal(v)
	if err != nil {
		return b, err
	}
	return append(append(b, key...), j...), nil
}

// AccountResponse is the body of a successful POST /v1/accounts.
type AccountResponse struct {
	Decision qualify.AccountDecision `json:"decision"`
	// Notification is "sent" or "failed" when the account's need goes to
	// sales, and absent otherwise.
	Notification string `json:"notification,omitempty"`
	// Assignment is the owner of the contact whose need sends the account
	// to sales, when the server has a Team: the account's owner first (the
	// relationship comes first), then the host's rules.
	Assignment *assign.Result `json:"assignment,omitempty"`
	// Unassigned says why that contact has no owner, as for a lead.
	Unassigned string `json:"unassigned,omitempty"`
}

// PolicyResponse is the body of a successful PUT /v1/policy.
type PolicyResponse struct {
	Policy   PolicyInfo `json:"policy"`
	Previous PolicyInfo `json:"previous"`
	// Unchanged reports that the new policy has the version of the old
	// one: the same rules and settings.
	Unchanged bool `json:"unchanged"`
}

// HealthResponse is the body of GET /healthz.
type HealthResponse struct {
	Status string     `json:"status"`
	Policy PolicyInfo `json:"policy"`
}

// NewServer returns a Server serving cfg.Policy.
func NewServer(cfg Config) (*Server, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	s := &Server{cfg: cfg, log: cfg.Logger, mux: http.NewServeMux(), ids: newRequestIDs()}
	sp, err := s.serve(cfg.Policy)
	if err != nil {
		return nil, fmt.Errorf("webhook: Config.Team: %w", err)
	}
	s.current.Store(sp)

	s.route("/v1/leads", map[string]http.HandlerFunc{http.MethodPost: s.postLead})
	s.route("/v1/accounts", map[string]http.HandlerFunc{http.MethodPost: s.postAccount})
	s.route("/v1/policy", map[string]http.HandlerFunc{http.MethodGet: s.getPolicy, http.MethodPut: s.putPolicy})
	s.route("/healthz", map[string]http.HandlerFunc{http.MethodGet: s.healthz})
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, apiError(http.StatusNotFound, CodeNotFound, "no such endpoint: %s", r.URL.Path))
	})
	return s, nil
}

// route registers a handler per method for path, and a 405 with an Allow
// header and a JSON body for every other method (the mux's own 405 is
// plain text).
func (s *Server) route(path string, handlers map[string]http.HandlerFunc) {
	var methods []string
	for m, h := range handlers {
		s.mux.HandleFunc(m+" "+path, h)
		methods = append(methods, m)
	}
	allow := allowed(methods)
	s.mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
		e := apiError(http.StatusMethodNotAllowed, CodeMethodNotAllowed, "%s does not allow %s (allowed: %s)", path, r.Method, allow)
		e.allow = allow
		writeError(w, r, e)
	})
}

// Policy returns the policy in service.
func (s *Server) Policy() *qualify.Policy { return s.current.Load().policy }

// ServeHTTP serves a request with a request ID, a log line, and a JSON 500
// instead of a dropped connection if a handler panics.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	id := r.Header.Get("X-Request-Id")
	if !validRequestID(id) {
		id = s.ids.next()
	}
	w.Header().Set("X-Request-Id", id)
	r = r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id))
	rec := &recorder{ResponseWriter: w}
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.ErrorContext(r.Context(), "panic serving request", slog.String("request_id", id),
				slog.Any("panic", v), slog.String("stack", string(debug.Stack())))
			if !rec.wrote {
				writeError(rec, r, apiError(http.StatusInternalServerError, CodeInternal, "internal error"))
			}
		}
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("request_id", id),
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", rec.status()),
			slog.Int64("bytes", rec.bytes),
			slog.Duration("duration", time.Since(start)),
			slog.String("remote", r.RemoteAddr),
		)
	}()
	s.mux.ServeHTTP(rec, r)
}

// requestIDKey is the context key of the request ID.
type requestIDKey struct{}

func requestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// validRequestID accepts a caller's request ID only if it is short and
// printable, so that it can be logged as it is.
func validRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for i := range len(id) {
		if id[i] <= ' ' || id[i] > '~' {
			return false
		}
	}
	return true
}

// recorder remembers the status and size of a response, for the log.
type recorder struct {
	http.ResponseWriter
	code  int
	bytes int64
	wrote bool
}

func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.code, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if !r.wrote {
		r.code, r.wrote = http.StatusOK, true
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (r *recorder) status() int {
	if !r.wrote {
		return http.StatusOK
	}
	return r.code
}

// readBody checks the content type and reads a JSON body of at most limit
// bytes into buf.
func readBody(w http.ResponseWriter, r *http.Request, limit int64, buf *bytes.Buffer) ([]byte, *APIError) {
	if ct := r.Header.Get("Content-Type"); ct != "application/json" { // the usual one, told without parsing
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || !(mt == "application/json" || strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json")) {
			if ct == "" {
				ct = "none"
			}
			return nil, apiError(http.StatusUnsupportedMediaType, CodeUnsupportedMediaType,
				"Content-Type %s is not supported: send application/json", ct)
		}
	}
	if r.ContentLength > limit {
		return nil, tooLarge(limit)
	}
	if r.ContentLength > 0 {
		buf.Grow(int(r.ContentLength))
	}
	if _, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, limit)); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, tooLarge(limit)
		}
		return nil, apiError(http.StatusBadRequest, CodeMalformedJSON, "reading the body: %v", err)
	}
	return buf.Bytes(), nil
}

func tooLarge(limit int64) *APIError {
	return apiError(http.StatusRequestEntityTooLarge, CodeTooLarge, "the body is larger than the limit of %d bytes", limit)
}

// postLead validates a lead, decides it with the policy in service, and
// notifies sales of a need.
func (s *Server) postLead(w http.ResponseWriter, r *http.Request) {
	buf := getBuffer()
	defer putBuffer(buf)
	data, aerr := readBody(w, r, s.cfg.MaxLeadBytes, buf)
	if aerr != nil {
		writeError(w, r, aerr)
		return
	}
	l, aerr := decodeLead(data)
	if aerr != nil {
		writeError(w, r, aerr)
		return
	}
	now := s.cfg.Clock()
	if err := s.validator.Validate(&l, now); err != nil {
		writeError(w, r, invalidInput(err, CodeInvalidLead))
		return
	}

	// One load: this request is decided by this policy, whole.
	served := s.current.Load()
	d, err := qualify.EvaluateAt(r.Context(), served.policy, &l, now)
	if err != nil {
		writeError(w, r, s.evaluateError(r, &l, served.policy, err))
		return
	}
	resp := LeadResponse{Decision: d}
	if served.assigner != nil && d.Priority != qualify.PriorityNone {
		s.assign(r.Context(), served.assigner, &l, &d, now, &resp)
	}
	if d.Verdict == qualify.VerdictNeed {
		resp.Notification = s.notify(r.Context(), &l, d)
	}
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "lead decided",
		slog.String("request_id", requestIDFrom(r.Context())),
		slog.String("lead", d.Lead),
		slog.String("verdict", d.Verdict.String()),
		slog.String("route", d.Route.String()),
		slog.String("owner", l.Owner),
		slog.String("policy", d.Policy),
		slog.String("version", d.Version),
	)
	writeJSON(w, http.StatusOK, &resp)
}

// postAccount validates an account and its leads, decides it with the
// policy in service, and notifies sales of its need through the contact
// who showed it.
func (s *Server) postAccount(w http.ResponseWriter, r *http.Request) {
	buf := getBuffer()
	defer putBuffer(buf)
	data, aerr := readBody(w, r, s.cfg.MaxLeadBytes, buf)
	if aerr != nil {
		writeError(w, r, aerr)
		return
	}
	a, aerr := decodeAccount(data)
	if aerr != nil {
		writeError(w, r, aerr)
		return
	}
	now := s.cfg.Clock()
	if err := s.validator.ValidateAccount(&a, now); err != nil {
		writeError(w, r, invalidInput(err, CodeInvalidAccount))
		return
	}

	served := s.current.Load()
	d, err := qualify.EvaluateAccount(r.Context(), served.policy, &a, now)
	if err != nil {
		var le *qualify.LimitError
		if errors.As(err, &le) {
			writeError(w, r, limitErrorOf("account", a.ID, le))
			return
		}
		writeError(w, r, s.evaluateError(r, &lead.Lead{ID: a.ID}, served.policy, err))
		return
	}
	resp := AccountResponse{Decision: d}
	if d.Verdict == qualify.VerdictNeed && d.Route == qualify.RouteSales {
		for i := range a.Leads {
			if a.Leads[i].ID != d.Contact {
				continue
			}
			if served.assigner != nil {
				// The contact works for the account's company: rules on
				// territory or industry read it there when the contact's
				// own record does not say.
				l := &a.Leads[i]
				if l.Company == (lead.Company{}) {
					l.Company = a.Company
				}
				var lr LeadResponse
				s.assignAs(r.Context(), served.assigner, assign.Request{Lead: l, Decision: &d.Contacts[i], AccountOwner: a.Owner}, now, &lr)
				resp.Assignment, resp.Unassigned = lr.Assignment, lr.Unassigned
			}
			resp.Notification = s.notify(r.Context(), &a.Leads[i], d.Contacts[i])
		}
	}
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "account decided",
		slog.String("request_id", requestIDFrom(r.Context())),
		slog.String("account", d.Account),
		slog.Int("contacts", len(a.Leads)),
		slog.String("verdict", d.Verdict.String()),
		slog.String("route", d.Route.String()),
		slog.String("contact", d.Contact),
		slog.String("policy", d.Policy),
		slog.String("version", d.Version),
	)
	writeJSON(w, http.StatusOK, resp)
}

// assign gives the lead of a decision of sales' work its owner, and puts
// the outcome in the response; the owner is written to the lead, so that
// the notifier tells them. Like the alert, the assignment outlives the
// client's request (a hang-up must not leave need unowned) but not
// NotifyTimeout.
func (s *Server) assign(ctx context.Context, a *assign.Assigner, l *lead.Lead, d *qualify.Decision, now time.Time, resp *LeadResponse) {
	s.assignAs(ctx, a, assign.Request{Lead: l, Decision: d}, now, resp)
}

// assignAs is assign for a request that may name the account's owner.
func (s *Server) assignAs(ctx context.Context, a *assign.Assigner, req assign.Request, now time.Time, resp *LeadResponse) {
	l := req.Lead
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.NotifyTimeout)
	defer cancel()
	res, err := a.Assign(actx, req, now)
	switch {
	case err == nil:
		resp.Assignment = &res
		l.Owner = res.Owner
	case errors.Is(err, assign.ErrNoOwner):
		resp.Unassigned = err.Error()
		s.log.LogAttrs(ctx, slog.LevelWarn, "no owner for a lead of sales' work",
			slog.String("request_id", requestIDFrom(ctx)), slog.String("lead", l.ID), slog.String("why", err.Error()))
	default:
		resp.Unassigned = "the assignment failed; the server's log has the reason"
		s.log.LogAttrs(ctx, slog.LevelError, "assignment failed",
			slog.String("request_id", requestIDFrom(ctx)), slog.String("lead", l.ID), slog.String("error", err.Error()))
	}
}

// notify calls the Notifier for a need decision and reports "sent" or
// "failed". The call outlives the client's request (a hang-up must not
// cancel an alert) but not NotifyTimeout.
func (s *Server) notify(ctx context.Context, l *lead.Lead, d qualify.Decision) string {
	nctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.NotifyTimeout)
	defer cancel()
	if err := s.cfg.Notifier.NotifySales(nctx, l, d); err != nil {
		s.log.LogAttrs(ctx, slog.LevelError, "notify sales failed",
			slog.String("request_id", requestIDFrom(ctx)),
			slog.String("lead", l.ID),
			slog.Time("respond_by", d.Deadline),
			slog.String("error", err.Error()),
		)
		return "failed"
	}
	return "sent"
}

func (s *Server) evaluateError(r *http.Request, l *lead.Lead, p *qualify.Policy, err error) *APIError {
	var le *qualify.LimitError
	var re *qualify.RuleError
	switch {
	case errors.As(err, &le):
		return limitError(l, le)
	case errors.As(err, &re):
		// The policy is at fault, not the client: log it for whoever
		// maintains the policy.
		s.log.ErrorContext(r.Context(), "rule failed", slog.String("request_id", requestIDFrom(r.Context())),
			slog.String("policy", p.Name()), slog.String("version", p.Version()),
			slog.String("rule", re.Rule), slog.String("lead", l.ID), slog.String("error", re.Err.Error()))
		e := apiError(http.StatusInternalServerError, CodeRuleFailed, "rule %q of policy %s failed on lead %q", re.Rule, p.Name(), l.ID)
		e.Problems = []Problem{{Rule: re.Rule, Field: re.Field, Message: re.Err.Error()}}
		return e
	case r.Context().Err() != nil:
		return apiError(http.StatusServiceUnavailable, CodeUnavailable, "the request was cancelled: %v", context.Cause(r.Context()))
	}
	s.log.ErrorContext(r.Context(), "evaluate failed", slog.String("request_id", requestIDFrom(r.Context())),
		slog.String("lead", l.ID), slog.String("error", err.Error()))
	return apiError(http.StatusInternalServerError, CodeInternal, "internal error")
}

// authorize checks the admin token of a policy request.
func (s *Server) authorize(r *http.Request) *APIError {
	if s.cfg.AdminToken == "" {
		return apiError(http.StatusForbidden, CodeForbidden, "policy administration is disabled on this server: it has no admin token")
	}
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(s.cfg.AdminToken)) != 1 {
		return apiError(http.StatusUnauthorized, CodeUnauthorized, "policy administration needs the admin token: Authorization: Bearer <token>")
	}
	return nil
}

// getPolicy answers the policy in service as JSON, with its version as
// ETag: an editor reads it, changes it, and puts it back with If-Match.
func (s *Server) getPolicy(w http.ResponseWriter, r *http.Request) {
	if aerr := s.authorize(r); aerr != nil {
		writeError(w, r, aerr)
		return
	}
	p := s.current.Load().policy
	w.Header().Set("ETag", etag(p.Version()))
	writeJSON(w, http.StatusOK, p.Spec())
}

// putPolicy compiles the policy in the body and puts it into service. A
// policy that does not compile is refused with every problem, and the old
// one stays. With If-Match, the change is made only if the policy in
// service is still the one the client read.
func (s *Server) putPolicy(w http.ResponseWriter, r *http.Request) {
	if aerr := s.authorize(r); aerr != nil {
		writeError(w, r, aerr)
		return
	}
	// Not pooled: SavePolicy may keep the bytes.
	data, aerr := readBody(w, r, s.cfg.MaxPolicyBytes, new(bytes.Buffer))
	if aerr != nil {
		writeError(w, r, aerr)
		return
	}
	p, err := qualify.CompileJSON(data, s.cfg.CompileOptions...)
	if err != nil {
		var ce *qualify.CompileError
		if errors.As(err, &ce) {
			writeError(w, r, compileError(ce))
		} else {
			writeError(w, r, apiError(http.StatusUnprocessableEntity, CodeInvalidPolicy, "%v", err))
		}
		return
	}

	next, err := s.serve(p)
	if err != nil {
		// The team's rules were checked at start and read nothing of a
		// policy but its vocabulary: not expected.
		writeError(w, r, apiError(http.StatusInternalServerError, CodeInternal, "the team's assignment rules do not work with policy %s", p.Name()))
		return
	}
	s.swap.Lock()
	defer s.swap.Unlock()
	next.since = s.cfg.Clock()
	old := s.current.Load()
	if match := r.Header.Get("If-Match"); match != "" && !etagMatches(match, old.policy.Version()) {
		e := apiError(http.StatusPreconditionFailed, CodePreconditionFailed,
			"the policy in service is %s %s, not the one named by If-Match %s; read it again", old.policy.Name(), old.policy.Version(), match)
		writeError(w, r, e)
		return
	}
	if s.cfg.SavePolicy != nil {
		if err := s.cfg.SavePolicy(r.Context(), data); err != nil {
			s.log.ErrorContext(r.Context(), "saving the policy failed", slog.String("request_id", requestIDFrom(r.Context())),
				slog.String("policy", p.Name()), slog.String("version", p.Version()), slog.String("error", err.Error()))
			writeError(w, r, apiError(http.StatusInternalServerError, CodeInternal,
				"saving policy %s failed; the policy in service is unchanged", p.Name()))
			return
		}
	}
	s.current.Store(next)
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "policy changed",
		slog.String("request_id", requestIDFrom(r.Context())),
		slog.String("from", old.policy.Name()+" "+old.policy.Version()),
		slog.String("to", p.Name()+" "+p.Version()),
	)
	w.Header().Set("ETag", etag(p.Version()))
	writeJSON(w, http.StatusOK, PolicyResponse{Policy: next.info(), Previous: old.info(), Unchanged: old.policy.Version() == p.Version()})
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, HealthResponse{Status: "ok", Policy: s.current.Load().info()})
}

func etag(version string) string { return `"` + version + `"` }

// etagMatches reports whether an If-Match header names version: "*", or a
// list of entity tags, quoted or not, weak or strong.
func etagMatches(header, version string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		t = strings.TrimPrefix(t, "W/")
		if t == "*" || strings.Trim(t, `"`) == version {
			return true
		}
	}
	return false
}
