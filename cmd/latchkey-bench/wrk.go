package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// refreshWrk is the refresh scenario driven by wrk, when it is installed
// (Debian's package wrk): the load generator the peers' refresh figures
// were measured with (issue 22). It is a C program with Lua scripting and
// costs the shared cores far less per request than the Go clients, so it
// measures more of the server and less of the harness. Its script takes
// a token from a queue for each request and puts the one the answer
// carries at the back, as the Go scenario does.
const refreshWrkScript = `
local counter = 0
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end

function init(args)
  local threads, i = tonumber(args[1]), 0
  queue, first, last = {}, 1, 0
  for line in io.lines(args[2]) do
    if i % threads == id then
      last = last + 1
      queue[last] = line
    end
    i = i + 1
  end
end

function request()
  local t = queue[first]
  if t == nil then
    -- Every token of this thread is in flight or was lost to an error
    -- answer: send one the server refuses, counted as an error.
    t = "exhausted"
  else
    queue[first] = nil
    first = first + 1
  end
  return wrk.format("POST", "/api/token", {["Content-Type"] = "application/x-www-form-urlencoded"},
    "grant_type=refresh_token&refresh_token=" .. t)
end

function response(status, headers, body)
  local t = body:match('"refresh_token":"([^"]+)"')
  if t then
    last = last + 1
    queue[last] = t
  end
end
`

// wrkStats is what wrk reports: requests a second, the latency quantiles
// and the answers that were not 2xx or 3xx.
type wrkStats struct {
	rps      float64
	p50, p99 time.Duration
	non2xx   int
}

// refreshSessions is how many sessions a refresh scenario rotates:
// enough that none comes back within its one-second budget (a 429; under
// wrk it also loses the session's token from the queue) below 10,000
// refreshes a second.
const refreshSessions = 10_000

func (b *bench) refreshWrk(ctx context.Context) (*row, error) {
	sessions := refreshSessions
	exe, err := exec.LookPath("wrk")
	if err != nil {
		return nil, nil // not installed: the Go clients' figure stands alone
	}
	tokens, err := seedSessions(ctx, b.srv.db, b.srv.users, sessions)
	if err != nil {
		return nil, fmt.Errorf("seed sessions: %w", err)
	}
	list := filepath.Join(b.dir, "wrk-tokens.txt")
	script := filepath.Join(b.dir, "refresh.lua")
	if err := os.WriteFile(list, []byte(strings.Join(tokens, "\n")+"\n"), 0o600); err != nil {
		return nil, err
	}
	if err := os.WriteFile(script, []byte(refreshWrkScript), 0o600); err != nil {
		return nil, err
	}
	threads := min(2, b.o.workers) // wrk wants a connection per thread at least
	cmd := exec.CommandContext(ctx, exe, "-t", strconv.Itoa(threads), "-c", strconv.Itoa(b.o.workers),
		"-d", fmt.Sprintf("%ds", max(int(b.o.duration/time.Second), 1)), "--latency", "-s", script,
		b.srv.url+"/api/token", "--", strconv.Itoa(threads), list)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("wrk: %v\n%s", err, out)
	}
	st, err := parseWrk(string(out))
	if err != nil {
		return nil, err
	}
	return &row{scenario: fmt.Sprintf("token refresh, wrk (%d sessions)", sessions), wrk: st, rss: b.srv.peakRSS(),
		ok: st.non2xx == 0}, nil
}

var (
	wrkRPS     = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	wrkQuant   = regexp.MustCompile(`^\s+(50|99)%\s+([0-9.]+)(us|ms|s)\s*$`)
	wrkNon2xx  = regexp.MustCompile(`Non-2xx or 3xx responses:\s+([0-9]+)`)
	wrkSockErr = regexp.MustCompile(`Socket errors: connect ([0-9]+), read ([0-9]+), write ([0-9]+), timeout ([0-9]+)`)
)

func parseWrk(out string) (*wrkStats, error) {
	m := wrkRPS.FindStringSubmatch(out)
	if m == nil {
		return nil, fmt.Errorf("wrk: no Requests/sec in its output:\n%s", out)
	}
	st := &wrkStats{}
	st.rps, _ = strconv.ParseFloat(m[1], 64)
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		q := wrkQuant.FindStringSubmatch(sc.Text())
		if q == nil {
			continue
		}
		v, _ := strconv.ParseFloat(q[2], 64)
		d := time.Duration(v * float64(map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second}[q[3]]))
		if q[1] == "50" {
			st.p50 = d
		} else {
			st.p99 = d
		}
	}
	if m := wrkNon2xx.FindStringSubmatch(out); m != nil {
		st.non2xx, _ = strconv.Atoi(m[1])
	}
	if m := wrkSockErr.FindStringSubmatch(out); m != nil {
		for _, n := range m[1:] {
			k, _ := strconv.Atoi(n)
			st.non2xx += k
		}
	}
	return st, nil
}
