package assign

import (
	"context"
	"errors"
	"time"

	"github.com/leadqual/leadqual/internal/enum"
)

// The sentinel errors of the package. Every error returned by this package
// and by a conforming [State] wraps one of these, a context error, or is a
// validation error wrapping ErrInvalid; test for them with errors.Is.
var (
	// ErrNotFound: the lead has no assignment.
	ErrNotFound = errors.New("assign: lead not assigned")
	// ErrStale: a conditional write found a version other than the one
	// expected: the assignment changed (or was made) since it was read.
	ErrStale = errors.New("assign: assignment changed since it was read")
	// ErrFull: the owner already holds as many open leads as their
	// capacity allows.
	ErrFull = errors.New("assign: owner at capacity")
	// ErrNoOwner: no one may take the lead: no rule matches it, or every
	// person its rules name is away or at capacity. The error says why,
	// person by person.
	ErrNoOwner = errors.New("assign: no eligible owner")
	// ErrContention: the assignment lost a race with concurrent writers
	// more often than Config.Retries allows; retrying later succeeds.
	ErrContention = errors.New("assign: too much contention")
	// ErrInvalid: bad input (rules, a configuration, a request); the error
	// lists each problem with the field it is in.
	ErrInvalid = errors.New("assign: invalid input")
)

// Basis says how an owner was chosen.
//
// The zero value is BasisRule.
type Basis uint8

// The bases, in the order the Assigner tries them.
const (
	// BasisRule: the first rule that matches the lead and has an eligible
	// person chose among its people.
	BasisRule Basis = iota
	// BasisAccount: the owner of the lead's account (Request.AccountOwner).
	BasisAccount
	// BasisOwner: the lead's own owner (lead.Lead.Owner), kept.
	BasisOwner
	// BasisOnCall: need outside the team's response hours, answered on
	// call (qualify.OffHoursOnCall): the on-call people chose.
	BasisOnCall
)

var basisTable = enum.Table[Basis]{Type: "basis", Names: []string{"rule", "account", "owner", "on_call"}}

// String returns "rule", "account", "owner" or "on_call".
func (b Basis) String() string { return basisTable.Name(b) }

// MarshalText implements encoding.TextMarshaler.
func (b Basis) MarshalText() ([]byte, error) { return basisTable.Marshal(b) }

// UnmarshalText implements encoding.TextUnmarshaler.
func (b *Basis) UnmarshalText(text []byte) error { return basisTable.Set(b, text) }

// Assignment is who owns a lead, why, and how far its escalation went: the
// record a [State] keeps, one per lead.
type Assignment struct {
	// Lead is the lead's ID.
	Lead string `json:"lead"`
	// Owner is the person who owns the lead (a Person.ID of the rules).
	Owner string `json:"owner"`
	// Basis says how Owner was chosen, and Rule, for BasisRule, which
	// rule chose.
	Basis Basis  `json:"basis"`
	Rule  string `json:"rule,omitempty"`
	// Reason explains the choice in a sentence, for people: the rule, the
	// candidates with their loads, and who was skipped and why.
	Reason string `json:"reason"`
	// At is when the lead was assigned.
	At time.Time `json:"at"`
	// Escalation is the progress of the lead's escalation ladder.
	Escalation Escalation `json:"escalation,omitzero"`
	// Version identifies this state of the record; the State sets it on
	// every write. Conditional writes compare it.
	Version uint64 `json:"version"`
}

// Escalation is how far a lead's unanswered need has been escalated: the
// deadline the ladder climbs from and the steps taken. The State keeps it
// with the assignment; [Assigner.Escalate] decides the next step from it.
type Escalation struct {
	// Due is the response deadline the ladder counts from; a different
	// deadline (new need) starts the ladder again.
	Due time.Time `json:"due,omitzero"`
	// Step is how many steps of the ladder have been taken (0: none).
	Step int `json:"step,omitempty"`
	// At is when the last step was taken.
	At time.Time `json:"at,omitzero"`
}

// Load is what a State knows of one owner: how many leads they hold and
// when they were last given one.
type Load struct {
	// Owner is the person.
	Owner string `json:"owner"`
	// Open is the number of assignments the owner holds.
	Open int `json:"open"`
	// Last is the Version of the newest assignment made to the owner (a
	// record moved to them, not one of theirs updated), 0 when none: the
	// owner who has waited longest since their last lead has the lowest.
	Last uint64 `json:"last"`
}

// State keeps the assignments: at most one [Assignment] per lead, and per
// owner the count of assignments they hold. A host implements it over its
// own database; [MemState] is the in-memory default. The [Assigner] is the
// usual caller; the package assigntest holds the conformance suite every
// implementation must pass.
//
// The contract, which assigntest checks:
//
//   - Versions. Every Put gives the record a new Version: never 0, and
//     greater than every Version the State gave before (a store-wide
//     sequence does it). Load.Last is such a Version.
//   - Loads. An owner's Open is the number of records whose Owner they
//     are: Put and Delete keep it exact, atomically with the record.
//   - Capacity. Put never takes an owner's Open beyond the capacity it is
//     given: of any number of concurrent Puts, only as many succeed as
//     the capacity leaves room for (a conditional update, a row lock or a
//     serializable transaction does it).
//   - Atomicity. Each method is atomic and safe for concurrent use; of two
//     conditional writes expecting the same Version, at most one succeeds.
//   - Time. Times keep at least microsecond precision; their location is
//     not kept (a State may return UTC).
//   - Errors. ErrNotFound, ErrStale and ErrFull are returned as such (or
//     wrapped); a cancelled or expired context fails the call with an
//     error that wraps the context's error, and the call then changes
//     nothing. Any other error is the State's own, described with context.
//
// Method by method:
type State interface {
	// Get returns the record of leadID, or ErrNotFound.
	Get(ctx context.Context, leadID string) (Assignment, error)

	// Loads appends the load of each owner to dst, in the order given, and
	// returns the extended slice (dst may be nil; the Assigner passes a
	// buffer it reuses); an owner the State has never seen has the zero
	// Load (with Owner set).
	Loads(ctx context.Context, owners []string, dst []Load) ([]Load, error)

	// Put writes a as the record of a.Lead, on a condition: with expect 0
	// the lead must have no record (otherwise ErrStale); with any other
	// expect the stored record must have that Version (ErrNotFound if
	// there is none, ErrStale if its Version differs). When a.Owner is not
	// the stored record's owner (or there is no record), the lead moves to
	// a.Owner: their Open grows by one (the former owner's shrinks by one)
	// and their Last becomes the new Version, and when capacity > 0 the
	// move fails with ErrFull if a.Owner already holds capacity records or
	// more. A Put that keeps the owner checks no capacity and changes no
	// load. Put returns the record as stored, with its new Version.
	Put(ctx context.Context, a Assignment, expect uint64, capacity int) (Assignment, error)

	// Delete removes the record of leadID, and takes it from its owner's
	// Open: with expect 0 whatever its Version, otherwise only if its
	// Version is expect (ErrStale if not). A lead without a record is
	// ErrNotFound.
	Delete(ctx context.Context, leadID string, expect uint64) error
}
