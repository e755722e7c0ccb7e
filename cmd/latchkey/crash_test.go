package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	neturl "net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/auth"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/store/pgtest"
)

// helperEnv, set to "serve" in a re-run of this test binary, makes
// TestHelperServe run the server: a process of its own that the crash test
// can kill -9 and start again, as a machine losing power or the OOM killer
// would.
const helperEnv = "LATCHKEY_TEST_HELPER"

// TestHelperServe is not a test: it is the server process of
// TestKillNineLosesNoAcknowledgedWrite, run in a copy of this binary.
func TestHelperServe(t *testing.T) {
	if os.Getenv(helperEnv) != "serve" {
		t.Skip("the server process of TestKillNineLosesNoAcknowledgedWrite; runs only there")
	}
	env := &environment{getenv: os.Getenv, stdin: strings.NewReader(""), stdout: io.Discard, stderr: os.Stderr,
		listening: func(addr string) { fmt.Printf("\nlistening on %s\n", addr) }}
	t.Fatal(env.run(context.Background(), []string{"latchkey"}))
}

// TestKillNineLosesNoAcknowledgedWrite writes concurrently (registrations,
// posts, refresh token rotations) to a server in another process, kills it
// with SIGKILL in the middle of the writes, starts it again on the same
// database, and does that once more; then every write that was answered
// with success, in any round, must be there. On SQLite this is the
// write-ahead log with synchronous=FULL at work; on PostgreSQL, that an
// answer is only sent after the commit.
func TestKillNineLosesNoAcknowledgedWrite(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts a server process")
	}
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			db := "sqlite:" + filepath.Join(t.TempDir(), "latchkey.db")
			if backend == "postgres" {
				db = pgtest.URL(t)
			}
			env := []string{
				"LATCHKEY_DATABASE_URL=" + db,
				"LATCHKEY_BASE_URL=http://latchkey.test", // tokens outlive the port
				"LATCHKEY_ADDR=127.0.0.1:0",
				"LATCHKEY_MAIL_DIR=" + filepath.Join(t.TempDir(), "mail"),
				"LATCHKEY_ARGON2_MEMORY_KIB=1024",
				"LATCHKEY_ARGON2_TIME=1",
				"LATCHKEY_RATE_LIMIT_PER_IP=0",
			}
			var w written
			for round := range 2 {
				url, kill := startProcess(t, env)
				w.writeUntilKilled(t, url, fmt.Sprint("r", round), kill)
			}
			if len(w.users) == 0 || len(w.posts) == 0 || len(w.refresh) == 0 {
				t.Fatalf("nothing of some kind was written: %d users, %d posts, %d refreshes", len(w.users), len(w.posts), len(w.refresh))
			}
			url, _ := startProcess(t, env)
			w.verify(t, url, db)
			t.Logf("%d registrations, %d posts and %d refreshes acknowledged, none lost", len(w.users), len(w.posts), len(w.refresh))
		})
	}
}

// startProcess runs the server in a copy of this test binary and returns
// its URL once it is healthy, and a function that kills it with SIGKILL.
func startProcess(t *testing.T, env []string) (string, func()) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperServe$")
	cmd.Env = append(append(os.Environ(), helperEnv+"=serve"), env...)
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	kill := sync.OnceFunc(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	t.Cleanup(kill)
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
				addr <- a
			}
		}
	}()
	select {
	case a := <-addr:
		url := "http://" + a
		waitHealthy(t, url)
		return url, kill
	case <-time.After(60 * time.Second):
		t.Fatalf("the server process did not start:\n%s", stderr.String())
	}
	return "", nil
}

// written is what the server acknowledged: ids of registered users and
// created posts (with their titles), and the refresh tokens it handed out,
// with each rotation chain's last: its head, unless the kill took the
// answer of a rotation that was in flight (then that rotation may or may
// not have happened, and a newer head nobody saw may exist).
type written struct {
	mu      sync.Mutex
	users   []string
	posts   map[string]string
	refresh []string
	heads   []chainHead
}

type chainHead struct {
	token string
	// inFlight: its client's next rotation of it failed at the kill, so
	// that rotation may have been committed with its answer lost. (The
	// client may only have been about to send it: this errs towards the
	// weaker check.)
	inFlight bool
}

// refreshChains is how many sessions a round rotates at once, each once a
// second (the session's budget): a refresh load whose writes the server
// batches, so a kill finds batches in flight.
const refreshChains = 128

func (w *written) add(f func()) {
	w.mu.Lock()
	defer w.mu.Unlock()
	f()
}

// writeUntilKilled writes with several clients at once; once 200 writes
// have been acknowledged (or 3 s have passed) it kills the server while
// they go on, and returns when every client has seen it die.
func (w *written) writeUntilKilled(t *testing.T, url, round string, kill func()) {
	t.Helper()
	if w.posts == nil {
		w.posts = map[string]string{}
	}
	name := "author" + round
	register(t, url, name)
	_, author := tokenRequest(t, url, neturl.Values{"username": {name}, "password": {testPassword}})
	chains := make([]string, refreshChains) // sessions of their own, one rotation a second each
	for i := range chains {
		_, p := tokenRequest(t, url, neturl.Values{"username": {name}, "password": {testPassword}})
		chains[i] = p.RefreshToken
	}
	time.Sleep(auth.RefreshMinInterval)

	c := &http.Client{Timeout: 10 * time.Second}
	var (
		acked atomic.Int64
		wg    sync.WaitGroup
	)
	post := func(path, contentType, body, bearer string) (int, []byte) {
		req, _ := http.NewRequest("POST", url+path, strings.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		res, err := c.Do(req)
		if err != nil {
			return 0, nil // the server is gone: this write was never acknowledged
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, b
	}
	writer := func(write func(i int) bool) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; write(i); i++ {
				acked.Add(1)
			}
		}()
	}
	for k := range 3 {
		writer(func(i int) bool {
			u := fmt.Sprintf("u%s-%d-%d", round, k, i)
			status, b := post("/api/users", "application/json",
				`{"username":"`+u+`","email":"`+u+`@example.com","password":"`+testPassword+`"}`, "")
			var got struct{ ID string }
			if status != http.StatusCreated || json.Unmarshal(b, &got) != nil {
				return false
			}
			w.add(func() { w.users = append(w.users, got.ID) })
			return true
		})
		writer(func(i int) bool {
			title := fmt.Sprintf("post %s-%d-%d", round, k, i)
			status, b := post("/api/posts", "application/json", `{"title":"`+title+`","body":"b"}`, author.AccessToken)
			var got struct{ ID string }
			if status != http.StatusCreated || json.Unmarshal(b, &got) != nil {
				return false
			}
			w.add(func() { w.posts[got.ID] = title })
			return true
		})
	}
	// Eight clients, each rotating its sixteen chains in turn.
	const clients = 8
	for k := range clients {
		mine := chains[k*refreshChains/clients : (k+1)*refreshChains/clients]
		last := make([]time.Time, len(mine))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				j := i % len(mine)
				time.Sleep(time.Until(last[j].Add(auth.RefreshMinInterval)))
				status, b := post("/api/token", "application/x-www-form-urlencoded",
					neturl.Values{"grant_type": {"refresh_token"}, "refresh_token": {mine[j]}}.Encode(), "")
				var p pair
				if status != http.StatusOK || json.Unmarshal(b, &p) != nil {
					// The kill: every chain's head is its last token
					// acknowledged; this one's rotation was in flight.
					w.add(func() {
						for n, rt := range mine {
							w.heads = append(w.heads, chainHead{token: rt, inFlight: n == j})
						}
					})
					return
				}
				mine[j], last[j] = p.RefreshToken, time.Now()
				w.add(func() { w.refresh = append(w.refresh, p.RefreshToken) })
				acked.Add(1)
			}
		}()
	}
	deadline := time.Now().Add(3 * time.Second)
	for acked.Load() < 200 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	kill()
	wg.Wait()
}

// verify checks every acknowledged write against the restarted server
// (users and posts) and the database (refresh tokens, which no endpoint
// shows without spending them).
func (w *written) verify(t *testing.T, url, db string) {
	t.Helper()
	get := func(path string) (int, []byte) {
		t.Helper()
		res, err := http.Get(url + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, b
	}
	for _, id := range w.users {
		if status, b := get("/api/users/" + id); status != http.StatusOK {
			t.Errorf("acknowledged user %s: %d %s", id, status, b)
		}
	}
	for id, title := range w.posts {
		status, b := get("/api/posts/" + id)
		var p struct{ Title string }
		if status != http.StatusOK || json.Unmarshal(b, &p) != nil || p.Title != title {
			t.Errorf("acknowledged post %s %q: %d %s", id, title, status, b)
		}
	}
	s, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, rt := range w.refresh {
		if _, _, _, err := s.RefreshTokenByHash(context.Background(), auth.HashToken(rt)); err != nil {
			t.Errorf("acknowledged refresh token: %v", err)
		}
	}
	// Each chain's last acknowledged token is still its head (unused),
	// unless a rotation of it was in flight at the kill.
	inFlight := 0
	for _, h := range w.heads {
		rt, _, _, err := s.RefreshTokenByHash(context.Background(), auth.HashToken(h.token))
		switch {
		case err != nil:
			t.Errorf("a chain's head: %v", err)
		case h.inFlight:
			inFlight++
		case rt.UsedAt != nil:
			t.Errorf("a chain's last acknowledged token was used, with no rotation of it in flight")
		}
	}
	if len(w.heads) == 0 {
		t.Error("no chain's head was recorded")
	}
	t.Logf("%d chains' heads checked; %d had a rotation in flight at the kill", len(w.heads), inFlight)
}
