// Package pgtest gives tests a real PostgreSQL: a throwaway cluster started
// from the local initdb and postgres binaries (a temporary directory, a
// private port on 127.0.0.1, fsync off), shared by one test binary and
// stopped when it ends; or, when LATCHKEY_TEST_DATABASE_URL names a server,
// that server. Each test gets a database of its own.
package pgtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, to create databases
)

// ExternalEnv names an existing server to use instead of a throwaway one,
// as a URL whose user may create databases.
const ExternalEnv = "LATCHKEY_TEST_DATABASE_URL"

// Cluster is a running PostgreSQL.
type Cluster struct {
	base    *url.URL // connects to the "postgres" database
	cmd     *exec.Cmd
	dir     string
	counter atomic.Int64
	frozen  []int // the processes Freeze stopped, for Thaw
}

var (
	shared     *Cluster
	sharedErr  error
	sharedOnce sync.Once
)

// Main runs a package's tests and stops the shared cluster afterwards; call
// it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	if shared != nil {
		shared.Remove()
	}
	os.Exit(code)
}

// URL returns the URL of a new, empty database, skipping the test when no
// PostgreSQL can be had.
func URL(t testing.TB) string {
	t.Helper()
	sharedOnce.Do(func() { shared, sharedErr = start(false) })
	if errors.Is(sharedErr, errNoBinaries) {
		t.Skipf("PostgreSQL tests skipped: %v (or set %s)", sharedErr, ExternalEnv)
	}
	if sharedErr != nil {
		t.Fatalf("start PostgreSQL: %v", sharedErr)
	}
	u, err := shared.NewDatabase()
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// Private starts a cluster of the test's own, removed when the test ends:
// for tests that stop and start the server under a running Latchkey.
func Private(t testing.TB) *Cluster {
	t.Helper()
	c, err := start(false)
	if errors.Is(err, errNoBinaries) {
		t.Skipf("PostgreSQL tests skipped: %v", err)
	}
	if err != nil {
		t.Fatalf("start PostgreSQL: %v", err)
	}
	if c.cmd == nil {
		t.Skipf("this test stops and starts its own server; %s names an external one", ExternalEnv)
	}
	t.Cleanup(c.Remove)
	return c
}

var errNoBinaries = errors.New("no initdb and postgres binaries found")

func findBinary(name string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/" + name)
	if len(matches) > 0 {
		return matches[len(matches)-1]
	}
	return ""
}

// StartDurable starts a throwaway cluster that, unlike the tests' one,
// keeps PostgreSQL's durability settings (fsync, synchronous commit), for
// measuring: call Remove when done. With ExternalEnv set it returns that
// server instead, whose settings are its own.
func StartDurable() (*Cluster, error) { return start(true) }

func start(durable bool) (*Cluster, error) {
	if ext := os.Getenv(ExternalEnv); ext != "" {
		u, err := url.Parse(ext)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", ExternalEnv, err)
		}
		return &Cluster{base: u}, nil
	}
	initdb, postgres := findBinary("initdb"), findBinary("postgres")
	if initdb == "" || postgres == "" {
		return nil, errNoBinaries
	}
	dir, err := os.MkdirTemp("", "latchkey-pg-")
	if err != nil {
		return nil, err
	}
	cred, err := credential(dir)
	if err != nil {
		return nil, err
	}
	data := filepath.Join(dir, "data")
	init := exec.Command(initdb, "-D", data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C")
	init.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := init.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %v\n%s", err, out)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	args := []string{"-D", data, "-p", strconv.Itoa(port), "-k", dir,
		"-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200"}
	if !durable {
		args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	cmd := exec.Command(postgres, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Setpgid: true}
	logf, err := os.Create(filepath.Join(dir, "postgres.log"))
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	c := &Cluster{
		base: &url.URL{Scheme: "postgres", User: url.User("postgres"), Host: "127.0.0.1:" + strconv.Itoa(port), Path: "/postgres", RawQuery: "sslmode=disable"},
		cmd:  cmd,
		dir:  dir,
	}
	if err := c.Start(); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "postgres.log"))
		return nil, fmt.Errorf("%v\n%s", err, log)
	}
	return c, nil
}

// credential is the user the server runs as: PostgreSQL refuses to run as
// root, so as root (CI) it runs as the postgres user and owns dir.
func credential(dir string) (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root needs a postgres user to run the server as: %v", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(dir, uid, gid); err != nil {
		return nil, err
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Start starts the server (again, after Stop) and waits until it answers.
func (c *Cluster) Start() error {
	if c.cmd == nil {
		return nil // an external server
	}
	if c.cmd.Process != nil { // restarting: a Cmd runs once
		cmd := exec.Command(c.cmd.Path, c.cmd.Args[1:]...)
		cmd.SysProcAttr, cmd.Stdout, cmd.Stderr = c.cmd.SysProcAttr, c.cmd.Stdout, c.cmd.Stderr
		c.cmd = cmd
	}
	if err := c.cmd.Start(); err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	db, err := sql.Open("pgx", c.base.String())
	if err != nil {
		return err
	}
	defer db.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := db.PingContext(ctx)
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("postgres did not start within 30 s: %w", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop shuts the server down (fast shutdown: clients are disconnected).
// The data directory stays, so Start can bring it back.
func (c *Cluster) Stop() {
	if c.cmd == nil || c.cmd.Process == nil {
		return
	}
	c.Thaw() // a frozen server would not hear the signal
	c.cmd.Process.Signal(syscall.SIGINT)
	done := make(chan struct{})
	go func() { c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		c.cmd.Process.Kill()
		<-done
	}
}

// Remove stops the server and deletes its directory.
func (c *Cluster) Remove() {
	c.Stop()
	if c.dir != "" {
		os.RemoveAll(c.dir)
	}
}

// NewDatabase creates an empty database and returns its URL.
func (c *Cluster) NewDatabase() (string, error) {
	db, err := sql.Open("pgx", c.base.String())
	if err != nil {
		return "", err
	}
	defer db.Close()
	name := fmt.Sprintf("latchkey_test_%d_%d", os.Getpid(), c.counter.Add(1))
	if _, err := db.Exec("CREATE DATABASE " + name); err != nil {
		return "", fmt.Errorf("create database: %w", err)
	}
	u := *c.base
	u.Path = "/" + name
	return u.String(), nil
}

// Freeze stops the server's processes with SIGSTOP, as a network partition
// or a hung host looks from outside: connections are accepted by the
// kernel and then nothing answers, neither new ones nor the ones open
// already. It stops the postmaster first, so that it forks no backend
// while its children are listed, then every child: the backends serving
// open connections are processes of their own, which a stopped postmaster
// does not stop. Thaw undoes it; Stop and Remove thaw first.
func (c *Cluster) Freeze() error {
	if c.cmd == nil || c.cmd.Process == nil {
		return errors.New("freeze: not a server of our own")
	}
	if len(c.frozen) > 0 {
		return errors.New("freeze: frozen already")
	}
	pid := c.cmd.Process.Pid
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		return fmt.Errorf("freeze postmaster: %w", err)
	}
	c.frozen = []int{pid}
	children, err := childrenOf(pid)
	if err != nil {
		c.Thaw()
		return fmt.Errorf("freeze: %w", err)
	}
	for _, child := range children {
		if err := syscall.Kill(child, syscall.SIGSTOP); err == nil {
			c.frozen = append(c.frozen, child)
		}
	}
	return nil
}

// Thaw lets the processes Freeze stopped run again, children first.
func (c *Cluster) Thaw() {
	for i := len(c.frozen) - 1; i >= 0; i-- {
		syscall.Kill(c.frozen[i], syscall.SIGCONT)
	}
	c.frozen = nil
}

// childrenOf lists pid's child processes from /proc (Linux).
func childrenOf(pid int) ([]int, error) {
	files, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("cannot list the children of %d: /proc/%d/task/*/children %v", pid, pid, err)
	}
	var pids []int
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		for _, field := range strings.Fields(string(b)) {
			n, err := strconv.Atoi(field)
			if err != nil {
				return nil, fmt.Errorf("%s: %q is not a pid", f, field)
			}
			pids = append(pids, n)
		}
	}
	return pids, nil
}
