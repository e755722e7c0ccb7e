// Package hashworker computes argon2 keys in child processes, one per
// hashing slot, so that a login flood cannot take the server's own
// threads from the requests that need none.
//
// In one Go process the hashes and the requests share GOMAXPROCS threads:
// with a slot per core, two 24 ms hashes held both of a 2-core machine's
// threads and GET /api/users/me waited for the scheduler's 10 ms
// preemption, its p99 26 × its unloaded p99 (cmd/latchkey-bench's flood).
// Raising GOMAXPROCS instead cost a fifth of the hashing rate, because
// argon2 starts a goroutine per segment and idle threads steal them. A
// worker process runs with GOMAXPROCS=1 and the lowest CPU priority (the
// SCHED_IDLE class on Linux): alone it hashes at full speed, and the
// kernel hands the core to the server's threads as soon as they wake. (At
// nice 10, /me's p99 during the flood was 2.2-3.8 × unloaded; at nice 19,
// 2.0 ×; in SCHED_IDLE, 1.5 ×.)
package hashworker

import (
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"

	"github.com/latchkey/latchkey/internal/password"
)

// Command is the argument that makes the latchkey binary a worker: it then
// calls Serve on its standard input and output.
const Command = "hash-worker"

type response struct {
	Key []byte
	Err string
}

// Serve answers KeyRequests read from r with keys written to w until r
// ends. It is the whole of a worker process, and lowers its priority.
func Serve(r io.Reader, w io.Writer) error {
	lowerPriority()
	// Collect only when Serve asks. With the collector's pacing on, the
	// explicit collection left a small heap goal, so the runtime returned
	// the freed pages to the kernel and the next hash faulted them in
	// again; a soft memory limit did the same and cost a fifth of the
	// rate. Paced by hand, a single-threaded argon2id loop ran at
	// 45.8-47.6/s against 43.3-44.7/s with the default pacing, in half the
	// memory (22 MB against 42 MB).
	debug.SetGCPercent(-1)
	dec, enc := gob.NewDecoder(r), gob.NewEncoder(w)
	for {
		var req password.KeyRequest
		if err := dec.Decode(&req); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		var res response
		if err := req.Validate(); err != nil { // what the server would never send
			res.Err = err.Error()
		} else {
			res.Key = password.Derive(req)
		}
		if err := enc.Encode(res); err != nil {
			return err
		}
		// Free the hash's memory now, so that the next hash reuses the
		// same pages: a worker holds one hash's memory, not the two or
		// more the collector's own pacing lets pile up. The heap is tiny
		// and the blocks hold no pointers, so this costs little.
		runtime.GC()
	}
}

// Workers is a set of worker processes. Derive uses a free one; callers
// bound their concurrency to the number of workers (password.Pool does),
// so one is always free when they ask.
type Workers struct {
	exe  string
	idle chan *worker // every worker not computing a key
}

type worker struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	enc   *gob.Encoder
	dec   *gob.Decoder
}

// Start runs n workers of the executable exe (the latchkey binary: it must
// dispatch Command to Serve).
func Start(exe string, n int) (*Workers, error) {
	ws := &Workers{exe: exe, idle: make(chan *worker, n)}
	for range n {
		w, err := ws.spawn()
		if err != nil {
			for len(ws.idle) > 0 {
				(<-ws.idle).stop()
			}
			return nil, err
		}
		ws.idle <- w
	}
	return ws, nil
}

func (ws *Workers) spawn() (*worker, error) {
	cmd := exec.Command(ws.exe, Command)
	cmd.Env = append(os.Environ(), "GOMAXPROCS=1")
	cmd.Stderr = os.Stderr
	dieWithParent(cmd)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("hashworker: start: %w", err)
	}
	return &worker{cmd: cmd, stdin: stdin, enc: gob.NewEncoder(stdin), dec: gob.NewDecoder(stdout)}, nil
}

// Derive computes r's key in a worker. A worker that fails is replaced;
// the request that met the failure gets the error.
func (ws *Workers) Derive(r password.KeyRequest) ([]byte, error) {
	w := <-ws.idle
	key, err := w.derive(r)
	if err != nil && !errors.Is(err, errRefused) {
		w.kill()
		if nw, serr := ws.spawn(); serr == nil {
			w = nw
		} else {
			err = errors.Join(err, serr) // the next Derive tries again
		}
	}
	ws.idle <- w
	return key, err
}

var errRefused = errors.New("hashworker: request refused")

func (w *worker) derive(r password.KeyRequest) ([]byte, error) {
	if w.cmd == nil {
		return nil, errors.New("hashworker: no worker running")
	}
	if err := w.enc.Encode(r); err != nil {
		return nil, fmt.Errorf("hashworker: send: %w", err)
	}
	var res response
	if err := w.dec.Decode(&res); err != nil {
		return nil, fmt.Errorf("hashworker: receive: %w", err)
	}
	if res.Err != "" {
		return nil, fmt.Errorf("%w: %s", errRefused, res.Err)
	}
	return res.Key, nil
}

// kill ends a worker that failed.
func (w *worker) kill() {
	if w.cmd != nil {
		w.cmd.Process.Kill()
		w.stop()
	}
}

// stop ends the worker's input, so that it exits, and waits for it.
func (w *worker) stop() {
	if w.cmd == nil {
		return
	}
	w.stdin.Close()
	w.cmd.Wait()
	w.cmd = nil
}

// Close stops every worker, waiting for those computing a key to finish.
func (ws *Workers) Close() error {
	for range cap(ws.idle) {
		(<-ws.idle).stop()
	}
	return nil
}
