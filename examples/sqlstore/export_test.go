package sqlstore

// The claim statements, for tests that explain their plans.
const (
	SQLiteClaim   = sqliteClaim
	PostgresClaim = postgresClaim
)
