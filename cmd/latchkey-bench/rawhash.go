package main

import (
	"context"
	"errors"
	"net/http"
	"sync"

	"github.com/latchkey/latchkey/internal/hashworker"
	"github.com/latchkey/latchkey/internal/password"
)

// startHashers starts the raw argon2id baseline: n hash worker processes
// of the binary under test (`latchkey hash-worker`, one thread each, as
// serve starts them), asked for keys directly, with no server, HTTP or
// database around them. So the ratio to it is what serving a login costs
// beyond the hash itself, the hashing engine and its runtime settings
// being the same on both sides. Each worker hashes once first, so that it
// is measured warm, like the server's long-lived ones: a fresh process's
// first hashes fault their memory in.
func startHashers(bin string, n int) (*hashworker.Workers, error) {
	ws, err := hashworker.Start(bin, n)
	if err != nil {
		return nil, err
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs error
	)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := ws.Derive(rawKeyRequest()); err != nil {
				mu.Lock()
				errs = errors.Join(errs, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if errs != nil {
		ws.Close()
		return nil, errs
	}
	return ws, nil
}

// rawHash is a request of the baseline: one key at the default
// parameters, "200" when computed.
func rawHash(ws *hashworker.Workers) request {
	return func(context.Context, *http.Client, int) (int, error) {
		if _, err := ws.Derive(rawKeyRequest()); err != nil {
			return 0, err
		}
		return http.StatusOK, nil
	}
}

func rawKeyRequest() password.KeyRequest {
	p := password.DefaultParams()
	return password.KeyRequest{Password: []byte(benchPassword), Salt: make([]byte, password.SaltLen),
		Time: p.Time, MemoryKiB: p.MemoryKiB, Threads: p.Threads, KeyLen: password.KeyLen}
}
