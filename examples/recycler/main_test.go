package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/leadqual/leadqual/recycle"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMain runs the program itself when the test binary is started as a
// subprocess by TestSignal.
func TestMain(m *testing.M) {
	if os.Getenv("RECYCLER_TEST_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// pgEnv names the environment variable that holds the DSN of the
// PostgreSQL server the tests use.
const pgEnv = "LEADQUAL_PG_DSN"

// pgSchema creates an empty schema on the test server, dropped when the
// test ends, and returns a DSN whose search_path is that schema. Without a
// server the test is skipped, unless CI=true: in CI the PostgreSQL tests
// must run, and a missing server is a failure.
func pgSchema(t *testing.T) string {
	t.Helper()
	dsn := os.Getenv(pgEnv)
	if dsn == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set, and CI=true: the PostgreSQL tests must run in CI (.ci/run starts a server and sets it)", pgEnv)
		}
		t.Skipf("PostgreSQL tests skipped: set %s to a server's DSN (postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable) to run them", pgEnv)
	}
	cc, err := pgx.ParseConfig(dsn)
	require.NoError(t, err, "parse %s", pgEnv)
	admin := stdlib.OpenDB(*cc)
	name := "recycler_test_" + strings.ToLower(rand.Text())
	_, err = admin.ExecContext(context.Background(), "CREATE SCHEMA "+name)
	require.NoError(t, err)
	t.Cleanup(func() {
		_, err := admin.ExecContext(context.Background(), "DROP SCHEMA "+name+" CASCADE")
		admin.Close()
		require.NoError(t, err)
	})
	if u, err := url.Parse(dsn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		q := u.Query()
		q.Set("search_path", name)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return dsn + " search_path=" + name
}

// TestProgram runs the program as the README does, against SQLite and
// PostgreSQL: schedule the testdata leads when they were set aside, then
// work them once they are all due.
func TestProgram(t *testing.T) {
	tests := []struct {
		name  string
		store func(t *testing.T) []string
	}{
		{"sqlite", func(t *testing.T) []string { return []string{"-db", filepath.Join(t.TempDir(), "recycle.db")} }},
		{"postgres", func(t *testing.T) []string { return []string{"-pg", pgSchema(t)} }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			store := tc.store(t)
			var out, log bytes.Buffer
			args := append([]string{"schedule", "-leads", "testdata/leads.jsonl", "-at", "2026-05-01T09:00:00Z"}, store...)
			require.Equal(t, 0, run(ctx, args, &out, &log), log.String())
			assert.Empty(t, out.String())
			assert.Equal(t, 5, strings.Count(log.String(), "msg=scheduled"), log.String())

			log.Reset()
			args = append([]string{"run", "-once", "-leads", "testdata/leads.jsonl", "-at", "2026-11-23T09:00:00Z"}, store...)
			require.Equal(t, 0, run(ctx, args, &out, &log), log.String())
			var got []string
			sc := bufio.NewScanner(&out)
			for sc.Scan() {
				var h struct {
					To       string `json:"to"`
					Decision struct {
						Lead     string    `json:"lead"`
						Deadline time.Time `json:"deadline"`
					} `json:"decision"`
				}
				require.NoError(t, json.Unmarshal(sc.Bytes(), &h))
				got = append(got, h.To+" "+h.Decision.Lead)
			}
			assert.Equal(t, []string{"nurture L-interest", "sales L-need"}, got, "hand-offs, in claim order")
			assert.Contains(t, log.String(), `stats="claimed 5: sales 1, nurture 1, review 0, recycled 2, dropped 1, gone 0, failed 0, dead 0, lease lost 0, released 0"`)

			log.Reset()
			out.Reset()
			require.Equal(t, 0, run(ctx, args, &out, &log), log.String())
			assert.Empty(t, out.String(), "nothing is due any more")
			assert.Contains(t, log.String(), `stats="claimed 0:`)

			// The operator's commands.
			out.Reset()
			require.Equal(t, 0, run(ctx, append([]string{"stats", "-at", "2026-11-23T09:00:00Z"}, store...), &out, &log), log.String())
			var st recycle.Stats
			require.NoError(t, json.Unmarshal(out.Bytes(), &st))
			assert.Equal(t, recycle.Stats{Scheduled: 2}, st, "two leads recycled again, none due")
			out.Reset()
			require.Equal(t, 0, run(ctx, append([]string{"dead"}, store...), &out, &log), log.String())
			assert.Empty(t, out.String(), "no dead lead")
			log.Reset()
			assert.Equal(t, 1, run(ctx, append(append([]string{"requeue"}, store...), "L-quiet", "L-nobody"), &out, &log))
			assert.Contains(t, log.String(), `requeue lead \"L-nobody\": sqlstore: get lead \"L-nobody\": lead not scheduled`)
			assert.Contains(t, log.String(), `msg="not dead: left as it is"`)
		})
	}
}

func TestFlags(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "recycle.db")
	tests := []struct {
		name string
		args []string
		code int
		err  string
	}{
		{"help", []string{"-h"}, 0, "Usage:"},
		{"unknown flag", []string{"run", "-nope"}, 2, "flag provided but not defined: -nope"},
		{"extra argument", []string{"run", "-db", db, "extra"}, 2, `unexpected arguments: ["extra"]`},
		{"bad -at", []string{"run", "-db", db, "-at", "yesterday"}, 1, "-at: parsing time"},
		{"no leads file", []string{"run", "-db", db, "-leads", filepath.Join(dir, "none.jsonl")}, 1, "none.jsonl: no such file"},
		{"no policy file", []string{"run", "-db", db, "-leads", "testdata/leads.jsonl", "-policy", filepath.Join(dir, "none.json")}, 1, "policy: open"},
		{"bad currency", []string{"run", "-once", "-db", db, "-leads", "testdata/leads.jsonl", "-currency", "pounds"}, 1, "Config.Currency"},
		{"bad batch", []string{"run", "-once", "-db", db, "-leads", "testdata/leads.jsonl", "-batch", "5000"}, 1, "Config.Batch: 5000 is outside 1 to 1000"},
		{"requeue nothing", []string{"requeue", "-db", db}, 2, "requeue: which leads?"},
		{"bad max attempts", []string{"stats", "-db", db, "-max-attempts", "-1"}, 1, "Config.MaxAttempts: -1 is outside 1 to 1000"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, log bytes.Buffer
			assert.Equal(t, tc.code, run(context.Background(), tc.args, &out, &log))
			assert.Contains(t, log.String(), tc.err)
		})
	}
}

func TestReadJSONLines(t *testing.T) {
	good := `{"id":"L-1","stage":"lost","lost_reason":"not_now"}`
	tests := []struct {
		name, input, err string
	}{
		{"not json", good + "\n{nope\n", "line 2: invalid character"},
		{"invalid lead", good + "\n\n" + `{"id":"L-2","contact":{"email":"not an email"}}`, `line 3: lead: invalid lead "L-2": contact.email`},
		{"future activity", `{"id":"L-2","activities":[{"kind":"white_paper","at":"2027-01-01T00:00:00Z"}]}`, "in the future"},
		{"twice", good + "\n" + good, `line 2: lead "L-1" appears twice`},
		{"too long", `{"id":"` + strings.Repeat("x", maxLine) + `"}`, "longer than"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := readJSONLines(strings.NewReader(tc.input), t1)
			require.ErrorContains(t, err, tc.err)
		})
	}
	leads, err := readJSONLines(strings.NewReader(good+"\n"), t1)
	require.NoError(t, err)
	assert.Equal(t, []string{"L-1"}, leads.IDs())
	_, err = leads.Lead(context.Background(), "L-9")
	require.ErrorIs(t, err, ErrNoLead)
}

// TestSignal runs the program in a process of its own and stops it with
// SIGTERM: it exits cleanly, with status 0.
func TestSignal(t *testing.T) {
	cmd := exec.Command(os.Args[0], "run", "-db", filepath.Join(t.TempDir(), "recycle.db"),
		"-leads", "testdata/leads.jsonl", "-poll", "1h")
	cmd.Env = append(os.Environ(), "RECYCLER_TEST_MAIN=1")
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	sc := bufio.NewScanner(stderr)
	var log []string
	started := false
	for !started && sc.Scan() { // wait until the worker runs
		log = append(log, sc.Text())
		started = strings.Contains(sc.Text(), "msg=started")
	}
	require.True(t, started, "the worker did not start; log:\n%s", strings.Join(log, "\n"))
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	for sc.Scan() {
		log = append(log, sc.Text())
	}
	require.NoError(t, cmd.Wait(), "exit status; log:\n%s", strings.Join(log, "\n"))
	assert.Contains(t, strings.Join(log, "\n"), "msg=stopped")
}
