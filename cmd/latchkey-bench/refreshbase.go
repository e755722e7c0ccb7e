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
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	_ "modernc.org/sqlite" // the driver the server uses
)

// The refresh scenario's two limits, measured in the same run: the
// database's durable commits a second from one client, which a server
// that commits every refresh alone cannot beat, and the CPU's ES256 signatures a second, which no
// server can beat (each refresh signs one access token).

// commitBaseline commits one-row transactions one after another, from one
// client, into a database beside the server's: on SQLite with the
// server's durability pragmas (WAL, synchronous=FULL), where each commit
// is one fsync of the log; on PostgreSQL (a database of its own in the
// same cluster, at its defaults), where each is one flush of the WAL. It
// is the rate a server that committed every refresh alone could not beat,
// and it moves with the disk from hour to hour, as the refreshes do.
func (b *bench) commitBaseline(ctx context.Context, d time.Duration) (result, error) {
	driver, dsn := "sqlite", "file:"+filepath.Join(b.dir, "fsync-baseline.db")+"?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)"
	if b.pg != nil {
		url, err := b.pg.NewDatabase()
		if err != nil {
			return result{}, fmt.Errorf("commit baseline: %w", err)
		}
		driver, dsn = "pgx", url
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return result{}, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, `CREATE TABLE commits (id INTEGER PRIMARY KEY, at TEXT NOT NULL)`); err != nil {
		return result{}, fmt.Errorf("commit baseline: %w", err)
	}
	var id atomic.Int64
	return load(ctx, nil, 1, d, func(ctx context.Context, _ *http.Client, _ int) (int, error) {
		_, err := db.ExecContext(ctx, `INSERT INTO commits (id, at) VALUES ($1, $2)`, id.Add(1), time.Now().String())
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
