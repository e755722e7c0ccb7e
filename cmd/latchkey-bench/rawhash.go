package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/latchkey/latchkey/internal/password"
	"golang.org/x/crypto/argon2"
)

// hashers are the raw argon2id baseline: one process per core (this
// program again, -hasher), each hashing on one thread at the default
// parameters, as Latchkey's hash workers do. (Two goroutines in one
// process came out 5-10 % slower on this VM, which would have flattered
// the ratio.) They live for the whole scenario and hash once before the
// first slice, so that, like the long-lived workers, they are measured
// warm: a fresh process's first hashes fault their memory in.
type hashers struct {
	procs []*hasherProc
}

type hasherProc struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Scanner
}

func startHashers(ctx context.Context, n int) (*hashers, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	h := &hashers{}
	for range n {
		cmd := exec.CommandContext(ctx, self, "-hasher")
		cmd.Env = append(os.Environ(), "GOMAXPROCS=1")
		cmd.Stderr = os.Stderr
		dieWithParent(cmd)
		in, err := cmd.StdinPipe()
		if err != nil {
			h.stop()
			return nil, err
		}
		out, err := cmd.StdoutPipe()
		if err != nil {
			h.stop()
			return nil, err
		}
		if err := cmd.Start(); err != nil {
			h.stop()
			return nil, err
		}
		h.procs = append(h.procs, &hasherProc{cmd: cmd, in: in, out: bufio.NewScanner(out)})
	}
	return h, nil
}

// rate has every process hash for d and returns the hashes, each with its
// time as latency. The elapsed time is the longest process's hashing, back
// to back: the round trip to the processes is no part of the rate.
func (h *hashers) rate(d time.Duration) (result, error) {
	lats := make([][]time.Duration, len(h.procs))
	errs := make([]error, len(h.procs))
	var wg sync.WaitGroup
	for i, p := range h.procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lats[i], errs[i] = p.hashFor(d)
		}()
	}
	wg.Wait()
	var res result
	for i, lat := range lats {
		if errs[i] != nil {
			return result{}, fmt.Errorf("raw argon2id: %w", errs[i])
		}
		var busy time.Duration
		for _, l := range lat {
			busy += l
		}
		res.elapsed = max(res.elapsed, busy)
		res.latency = append(res.latency, lat...)
	}
	res.requests = len(res.latency)
	slices.Sort(res.latency)
	return res, nil
}

func (p *hasherProc) hashFor(d time.Duration) ([]time.Duration, error) {
	if _, err := fmt.Fprintln(p.in, int64(d)); err != nil {
		return nil, err
	}
	var lat []time.Duration
	for p.out.Scan() {
		line := p.out.Text()
		if line == "end" {
			return lat, nil
		}
		ns, err := strconv.ParseInt(line, 10, 64)
		if err != nil {
			return nil, err
		}
		lat = append(lat, time.Duration(ns))
	}
	return nil, errors.Join(errors.New("the hashing process ended"), p.out.Err())
}

func (h *hashers) stop() {
	for _, p := range h.procs {
		p.in.Close()
		p.cmd.Wait()
	}
}

// serveHashes is a -hasher process: after one hash to warm up, for each
// duration (in nanoseconds) read from in it hashes for that long and
// writes each hash's time in nanoseconds, then "end".
func serveHashes(in io.Reader, out io.Writer) error {
	p := password.DefaultParams()
	salt := make([]byte, 16)
	hash := func() { argon2.IDKey([]byte(benchPassword), salt, p.Time, p.MemoryKiB, p.Threads, 32) }
	hash()
	sc := bufio.NewScanner(in)
	w := bufio.NewWriter(out)
	for sc.Scan() {
		ns, err := strconv.ParseInt(strings.TrimSpace(sc.Text()), 10, 64)
		if err != nil {
			return err
		}
		for stop := time.Now().Add(time.Duration(ns)); time.Now().Before(stop); {
			t0 := time.Now()
			hash()
			fmt.Fprintln(w, time.Since(t0).Nanoseconds())
		}
		fmt.Fprintln(w, "end")
		if err := w.Flush(); err != nil {
			return err
		}
	}
	return sc.Err()
}
