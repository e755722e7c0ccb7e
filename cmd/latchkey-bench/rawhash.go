package main

import (
	"context"
	"net/http"

	"golang.org/x/crypto/argon2"

	"github.com/latchkey/latchkey/internal/password"
)

// rawHash is a request of the raw argon2id baseline: one key at the
// default parameters, computed in this process with nothing around it (no
// HTTP, no database, no pool), "200" when done. The server computes its
// hashes in its own process the same way, so the ratio to this is what
// serving a login costs beyond the hash itself. The load generator is
// idle while the baseline runs, so the hashes have the cores to
// themselves, as the server's would.
func rawHash(context.Context, *http.Client, int) (int, error) {
	p := password.DefaultParams()
	salt := make([]byte, password.SaltLen)
	argon2.IDKey([]byte(benchPassword), salt, p.Time, p.MemoryKiB, p.Threads, password.KeyLen)
	return http.StatusOK, nil
}
