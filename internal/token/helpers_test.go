package token_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/auth/authtest"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/token"
)

const (
	issuer   = "https://latchkey.example"
	audience = "https://api.example"
	ttl      = 15 * time.Minute
)

var (
	aliceID   = "0194f2a0-7a4e-7cc3-9d6e-0a1b2c3d4e5f"
	sessionID = "0194f2a0-7a4e-7cc3-9d6e-0a1b2c3d4e60"
	secret    = []byte("0123456789abcdef0123456789abcdef")
	masterKey = bytes.Repeat([]byte{0x42}, 32)
)

// memKeys is a KeyStore in memory that records how often it was read, and
// can be told to fail.
type memKeys struct {
	mu    sync.Mutex
	rows  []token.StoredKey
	reads int
	fail  error
}

func (s *memKeys) SigningKeys(context.Context) ([]token.StoredKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reads++
	if s.fail != nil {
		return nil, s.fail
	}
	return slices.Clone(s.rows), nil
}

func (s *memKeys) InsertSigningKey(_ context.Context, k token.StoredKey) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	for _, r := range s.rows {
		if r.KID == k.KID {
			return errors.New("duplicate kid")
		}
	}
	s.rows = append(s.rows, k)
	return nil
}

func (s *memKeys) RetireSigningKeys(_ context.Context, except string, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	i := slices.IndexFunc(s.rows, func(r token.StoredKey) bool { return r.KID == except })
	if i < 0 {
		return nil
	}
	kept := s.rows[i]
	for i, r := range s.rows {
		older := r.CreatedAt.Before(kept.CreatedAt) || (r.CreatedAt.Equal(kept.CreatedAt) && r.KID < kept.KID)
		if older && (r.RetiredAt == nil || r.RetiredAt.After(at)) {
			s.rows[i].RetiredAt = &at
		}
	}
	return nil
}

func (s *memKeys) readCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reads
}

func (s *memKeys) setFail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = err
}

// openStore returns a migrated SQLite store on a fresh file: the real
// thing the manager runs on.
func openStore(t testing.TB) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "latchkey.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// options returns the options the tests start from.
func options(alg string, clock *authtest.Clock) token.Options {
	return token.Options{Alg: alg, Secret: secret, Issuer: issuer, Audience: audience, TTL: ttl, Now: clock.Now}
}

func newManager(t testing.TB, ks token.KeyStore, o token.Options) *token.Manager {
	t.Helper()
	m, err := token.New(context.Background(), ks, o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return m
}

func issue(t testing.TB, m *token.Manager, notAfter time.Time) string {
	t.Helper()
	tok, _, err := m.Issue(aliceID, sessionID, token.RoleUser, notAfter)
	if err != nil {
		t.Fatalf("Issue: %v", err)
	}
	return tok
}

// far is a notAfter that never caps the lifetime.
var far = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)

// parts decodes a compact JWS's header and payload without verifying it.
func parts(t testing.TB, tok string) (header, payload map[string]any) {
	t.Helper()
	segs := strings.Split(tok, ".")
	if len(segs) != 3 {
		t.Fatalf("token has %d segments", len(segs))
	}
	return decodeSegment(t, segs[0]), decodeSegment(t, segs[1])
}

func decodeSegment(t testing.TB, seg string) map[string]any {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// kidOf returns a token's kid header.
func kidOf(t testing.TB, tok string) string {
	t.Helper()
	h, _ := parts(t, tok)
	kid, _ := h["kid"].(string)
	return kid
}

// jwksKIDs returns the kids a JWKS document lists, in order.
func jwksKIDs(t testing.TB, doc []byte) []string {
	t.Helper()
	var set struct {
		Keys []struct {
			KID string `json:"kid"`
		} `json:"keys"`
	}
	if err := json.Unmarshal(doc, &set); err != nil {
		t.Fatalf("JWKS %s: %v", doc, err)
	}
	kids := []string{}
	for _, k := range set.Keys {
		kids = append(kids, k.KID)
	}
	return kids
}

// storedKey returns the row for kid.
func storedKey(t testing.TB, ks token.KeyStore, kid string) token.StoredKey {
	t.Helper()
	rows, err := ks.SigningKeys(context.Background())
	authtest.NoError(t, err)
	for _, r := range rows {
		if r.KID == kid {
			return r
		}
	}
	t.Fatalf("no stored key %s", kid)
	return token.StoredKey{}
}

// privateKey returns the parsed private key of a plain (unencrypted) row,
// for tests that sign tokens the manager would never issue.
func privateKey(t testing.TB, ks token.KeyStore, kid string) any {
	t.Helper()
	r := storedKey(t, ks, kid)
	if r.Encrypted {
		t.Fatalf("key %s is encrypted", kid)
	}
	k, err := x509.ParsePKCS8PrivateKey(r.Private)
	authtest.NoError(t, err)
	return k
}

// wantInvalid fails unless err is token.ErrInvalid, possibly wrapped.
func wantInvalid(t testing.TB, err error) {
	t.Helper()
	if !errors.Is(err, token.ErrInvalid) {
		t.Fatalf("got error %v, want token.ErrInvalid", err)
	}
}
