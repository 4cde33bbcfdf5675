package sqlstore

// The claim statements, for tests that explain their plans.
var (
	SQLiteClaim   = sqliteClaim
	PostgresClaim = pgClaim
)

// CloseIdle closes the idle connections of the store's pools, so that the
// next calls open new ones.
func (s *Store) CloseIdle() {
	resetPool(s.db)
	s.ro.SetMaxIdleConns(0)
	s.ro.SetMaxIdleConns(4)
}
