package sqlstore

import "context"

// The claim statements, for tests that explain their plans.
var (
	SQLiteClaim           = sqliteClaim
	PostgresClaim         = pgClaim
	PostgresClaimReserved = pgClaimReserved
)

// ReserveMin is the fewest versions a reservation takes.
const ReserveMin = reserveMin

// CloseIdle closes the idle connections of the store's pools, so that the
// next calls open new ones.
func (s *Store) CloseIdle() {
	resetPool(s.db)
	s.ro.SetMaxIdleConns(0)
	s.ro.SetMaxIdleConns(4)
}

// InTx makes fn run in every transaction of the store's own (not in a
// host's), after the call's statements and before the commit: query runs
// a statement in the transaction and returns the one text value it
// selects. Call it before the store is used.
func (s *Store) InTx(fn func(query func(sql string) (string, error)) error) {
	s.txHook = func(ctx context.Context, q querier) error {
		return fn(func(sql string) (v string, err error) {
			err = q.queryRow(ctx, sql).Scan(&v)
			return v, err
		})
	}
}
