package main

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/store"
)

// TestKeysRotate: a plain rotation says when the new key starts signing
// (LATCHKEY_JWKS_MAX_AGE and two reloads on) and stores that; --now says
// it signs at once and what that costs verifiers.
func TestKeysRotate(t *testing.T) {
	getenv := testEnv(t, "LATCHKEY_JWKS_MAX_AGE", "1h")
	before := time.Now().Truncate(time.Second) // printed to the second
	out, errOut, err := runCmd(t, getenv, "", "keys", "rotate")
	after := time.Now()
	if err != nil || errOut != "" {
		t.Fatalf("keys rotate: %v %q", err, errOut)
	}
	m := regexp.MustCompile(`^rotated: new signing key (\S+); running servers publish it within 60 s and sign with it from (\S+) \(in (?:1h0m59s|1h1m0s), `).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("keys rotate said %q", out)
	}
	kid := m[1]
	signsFrom, err := time.Parse(time.RFC3339, m[2])
	if err != nil {
		t.Fatal(err)
	}
	wait := time.Hour + time.Minute
	if signsFrom.Before(before.Add(wait)) || signsFrom.After(after.Add(wait)) {
		t.Fatalf("signs from %v, want an hour and a minute after %v", signsFrom, before)
	}

	out, errOut, err = runCmd(t, getenv, "", "keys", "rotate", "--now")
	if err != nil || errOut != "" {
		t.Fatalf("keys rotate --now: %v %q", err, errOut)
	}
	m = regexp.MustCompile(`^rotated: new signing key (\S+) signs now; `).FindStringSubmatch(out)
	if m == nil || !strings.Contains(out, "refuses the new key's tokens until its cache expires, up to LATCHKEY_JWKS_MAX_AGE (1h0m0s)") {
		t.Fatalf("keys rotate --now said %q", out)
	}
	now := m[1]

	db, err := store.Open(context.Background(), getenv("LATCHKEY_DATABASE_URL"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	keys, err := db.SigningKeys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 3 || keys[1].KID != kid || keys[2].KID != now {
		t.Fatalf("stored keys %v, want the first, %s and %s", keys, kid, now)
	}
	if !keys[1].SignsFrom.Truncate(time.Second).Equal(signsFrom) { // printed to the second
		t.Fatalf("%s signs from %v, said %v", kid, keys[1].SignsFrom, signsFrom)
	}
	// --now stopped both older keys: the first, which was to sign until
	// the pending key's time, and the pending one.
	for _, k := range keys[:2] {
		if k.RetiredAt == nil || k.RetiredAt.After(time.Now()) {
			t.Fatalf("%s retired at %v, want by now", k.KID, k.RetiredAt)
		}
	}
	if keys[2].RetiredAt != nil || keys[2].SignsFrom.After(time.Now()) {
		t.Fatalf("the --now key: retired %v, signs from %v", keys[2].RetiredAt, keys[2].SignsFrom)
	}
}
