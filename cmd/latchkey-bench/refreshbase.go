package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"database/sql"
	"fmt"
	"net/http"
	"path/filepath"
	"runtime"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	_ "modernc.org/sqlite" // the driver the server uses
)

// The refresh scenario's two limits, measured in the same run: the disk's
// durable commits a second, which a server that commits every refresh
// alone cannot beat, and the CPU's ES256 signatures a second, which no
// server can beat (each refresh signs one access token).

// fsyncBaseline commits one-row transactions one after another into a
// SQLite file beside the server's, with the server's durability pragmas
// (WAL, synchronous=FULL): each commit is one fsync of the log.
func fsyncBaseline(ctx context.Context, dir string, d time.Duration) (result, error) {
	path := filepath.Join(dir, "fsync-baseline.db")
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)")
	if err != nil {
		return result{}, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, `CREATE TABLE commits (id INTEGER PRIMARY KEY, at TEXT NOT NULL)`); err != nil {
		return result{}, fmt.Errorf("fsync baseline: %w", err)
	}
	return load(ctx, nil, 1, d, func(ctx context.Context, _ *http.Client, _ int) (int, error) {
		_, err := db.ExecContext(ctx, `INSERT INTO commits (at) VALUES ($1)`, time.Now().String())
		return http.StatusOK, err
	}, is(http.StatusOK)), nil
}

// signBaseline signs access tokens like the server's (ES256, the same
// claims) on every core, with nothing else around it.
func signBaseline(ctx context.Context, d time.Duration) (result, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return result{}, err
	}
	return load(ctx, nil, runtime.NumCPU(), d, func(context.Context, *http.Client, int) (int, error) {
		now := time.Now()
		tok := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{
			"iss": "http://localhost:8080", "aud": "http://localhost:8080", "sub": uuid.NewString(),
			"sid": uuid.NewString(), "role": "user", "jti": uuid.NewString(),
			"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(15 * time.Minute).Unix(),
		})
		tok.Header["kid"] = "baseline"
		_, err := tok.SignedString(key)
		return http.StatusOK, err
	}, is(http.StatusOK)), nil
}
