package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestRunHelp(t *testing.T) {
	var out bytes.Buffer
	require.Equal(t, 0, run(context.Background(), []string{"-h"}, &out, env(nil)))
	for _, want := range []string{"POST /v1/leads", "PUT  /v1/policy", adminTokenEnv, "-addr", "-policy", "-save-policy",
		"-max-lead-bytes", "-max-policy-bytes", "-notify-timeout", "-read-header-timeout", "-read-timeout", "-write-timeout",
		"-idle-timeout", "-shutdown-timeout", "-log-format", "-log-level"} {
		assert.Contains(t, out.String(), want)
	}
}

func TestRunRefuses(t *testing.T) {
	dir := t.TempDir()
	broken := filepath.Join(dir, "broken.json")
	require.NoError(t, os.WriteFile(broken, []byte(`{"name": "broken", "rules": [
  {"name": "typo", "when": "fresh(\"pricing_request\") && compnay.employees > 10", "intent": "need", "reason": "r"}
]}`), 0o600))
	big := filepath.Join(dir, "big.json")
	require.NoError(t, os.WriteFile(big, []byte(alphaJSON), 0o600))
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer busy.Close()

	tests := []struct {
		name   string
		args   []string
		status int
		want   []string
	}{
		{"an unknown flag", []string{"-port", "80"}, 2, []string{"flag provided but not defined: -port"}},
		{"an argument", []string{"serve"}, 2, []string{"unexpected arguments: serve"}},
		{"a bad log format", []string{"-log-format", "xml"}, 2, []string{`-log-format "xml": want text or json`}},
		{"a bad log level", []string{"-log-level", "loud"}, 2, []string{"-log-level"}},
		{"saving without a file", []string{"-save-policy"}, 2, []string{"-save-policy needs -policy"}},
		{"a zero body limit", []string{"-max-lead-bytes", "0"}, 2, []string{"-max-lead-bytes 0: must be positive"}},
		{"a negative timeout", []string{"-read-timeout", "-1s"}, 2, []string{"-read-timeout -1s: must be positive"}},
		{"an alert slower than the answer", []string{"-notify-timeout", "30s", "-write-timeout", "30s"}, 2, []string{"-notify-timeout 30s must be shorter than -write-timeout 30s"}},
		{"a missing policy file", []string{"-policy", filepath.Join(dir, "missing.json")}, 1, []string{"missing.json: no such file"}},
		{"a policy that does not compile", []string{"-policy", broken}, 1, []string{"webhook: policy " + broken + `: qualify: policy "broken": rule "typo": when 1:29: unknown name compnay
 | fresh("pricing_request") && compnay.employees > 10
 | ............................^`}},
		{"a policy over the size limit", []string{"-policy", big, "-max-policy-bytes", "16"}, 1, []string{"big.json is larger than -max-policy-bytes (16 bytes)"}},
		{"an address in use", []string{"-addr", busy.Addr().String()}, 1, []string{"address already in use"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			assert.Equal(t, tt.status, run(context.Background(), tt.args, &out, env(nil)))
			for _, w := range tt.want {
				assert.Contains(t, out.String(), w)
			}
		})
	}
}

// logLines is a log destination that hands over the address the server
// listens on, read from its "listening" line.
type logLines struct {
	mu        sync.Mutex
	buf       bytes.Buffer
	listening chan string
}

func (l *logLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var rec struct {
		Msg  string `json:"msg"`
		Addr string `json:"addr"`
	}
	if json.Unmarshal(p, &rec) == nil && rec.Msg == "listening" {
		l.listening <- rec.Addr
	}
	return l.buf.Write(p)
}

func (l *logLines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// TestRunServesAndSaves runs the whole program: it serves on a loopback
// port, puts a policy into service and into the -policy file, decides a
// lead with it, and shuts down cleanly when its context ends.
func TestRunServesAndSaves(t *testing.T) {
	file := filepath.Join(t.TempDir(), "policy.json")
	require.NoError(t, os.WriteFile(file, []byte(alphaJSON), 0o640))

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logs := &logLines{listening: make(chan string, 1)}
	exit := make(chan int, 1)
	go func() {
		exit <- run(ctx, []string{"-addr", "127.0.0.1:0", "-policy", file, "-save-policy", "-log-format", "json"},
			logs, env(map[string]string{adminTokenEnv: adminToken}))
	}()
	var addr string
	select {
	case addr = <-logs.listening:
	case code := <-exit:
		t.Fatalf("run exited with %d: %s", code, logs.String())
	}
	url := "http://" + addr

	req, err := http.NewRequest(http.MethodPut, url+"/v1/policy", strings.NewReader(betaJSON))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	resp.Body.Close()

	saved, err := os.ReadFile(file)
	require.NoError(t, err)
	assert.Equal(t, betaJSON, string(saved), "the accepted policy replaced the file")
	fi, err := os.Stat(file)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o640), fi.Mode().Perm(), "the file keeps its permissions")
	entries, err := os.ReadDir(filepath.Dir(file))
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temporary file is left behind")

	resp, err = http.Post(url+"/v1/leads", "application/json", strings.NewReader(needLead))
	require.NoError(t, err)
	got := decode[LeadResponse](t, resp)
	assert.Equal(t, "beta", got.Decision.Policy)

	cancel()
	assert.Equal(t, 0, <-exit)
	assert.Contains(t, logs.String(), `"msg":"shut down cleanly"`)
	assert.Contains(t, logs.String(), `"msg":"policy changed"`)
}
