package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// server is the real latchkey binary, running.
type server struct {
	url    string
	db     string // LATCHKEY_DATABASE_URL
	cmd    *exec.Cmd
	users  int         // seeded
	tokens []tokenPair // of some of them, for /me
}

// build compiles the binary unless one was given.
func build(ctx context.Context, dir, bin string) (string, error) {
	if bin != "" {
		return bin, nil
	}
	out := filepath.Join(dir, "latchkey")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "./cmd/latchkey")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build (run from the repository root, after make assets): %w", err)
	}
	return out, nil
}

// start runs the binary with env on a free port of 127.0.0.1 and waits
// until it is healthy. It logs to dir/name.log and dies with this process.
func start(ctx context.Context, bin, dir, name, db string, users int, env []string) (*server, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	l.Close()
	logf, err := os.Create(filepath.Join(dir, name+".log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(), append(env, "LATCHKEY_ADDR="+addr)...)
	cmd.Stdout, cmd.Stderr = logf, logf
	dieWithParent(cmd)
	err = cmd.Start()
	logf.Close() // the child has its own copy
	if err != nil {
		return nil, err
	}
	s := &server{url: "http://" + addr, db: db, cmd: cmd, users: users}
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get(s.url + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return s, nil
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			s.stop()
			return nil, fmt.Errorf("the server did not start; see %s", logf.Name())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// peakRSS is the server's peak resident memory (VmHWM) since it started
// or since the last resetPeakRSS, in bytes.
func (s *server) peakRSS() int64 { return vmHWM(s.cmd.Process.Pid) }

// resetPeakRSS starts the peak over at the current resident memory
// (Linux's clear_refs, value 5), so that a scenario's peak is its own and
// not one an earlier scenario left behind.
func (s *server) resetPeakRSS() {
	os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", s.cmd.Process.Pid), []byte("5"), 0)
}

func vmHWM(pid int) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

func (s *server) stop() {
	s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		s.cmd.Process.Kill()
		<-done
	}
}

// recorded is one of Latchkey's answers, for the bare baseline to repeat.
type recorded struct {
	Status int
	Header http.Header
	Body   []byte
}

// startBare starts the baseline: this program again (-bare), in a process
// of its own like the server under test, serving rec's headers and bytes
// from a bare net/http handler. Both then pay the same for crossing from
// the load generator's process to the server's.
func startBare(ctx context.Context, dir, name string, rec recorded) (*server, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	file := filepath.Join(dir, name+".json")
	b, err := json.Marshal(rec)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(file, b, 0o600); err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, self, "-bare", file)
	cmd.Stderr = os.Stderr
	dieWithParent(cmd)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	addr, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return nil, fmt.Errorf("bare baseline: %w", err)
	}
	return &server{url: "http://" + strings.TrimSpace(addr), cmd: cmd}, nil
}

// serveBare is the baseline process: it writes its address to out, then
// answers every request with the recorded headers and bytes.
func serveBare(file string, out io.Writer) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var rec recorded
	if err := json.Unmarshal(b, &rec); err != nil {
		return err
	}
	rec.Header.Del("Date")
	rec.Header.Del("Content-Length")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Fprintln(out, l.Addr())
	return http.Serve(l, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		for k, v := range rec.Header {
			h[k] = v
		}
		w.WriteHeader(rec.Status)
		w.Write(rec.Body)
	}))
}
