package token_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/auth/authtest"
	"github.com/latchkey/latchkey/internal/token"
)

func TestMasterKeySealsPrivateKeys(t *testing.T) {
	clock := authtest.NewClock()
	st := openStore(t)
	o := options(token.ES256, clock)
	o.MasterKey = masterKey
	m := newManager(t, st, o)
	kid := kidOf(t, issue(t, m, far))
	row := storedKey(t, st, kid)
	if !row.Encrypted {
		t.Fatal("the row is not marked encrypted")
	}

	// The format is the documented one: nonce || AES-256-GCM(DER), with
	// the kid as additional data.
	block, err := aes.NewCipher(masterKey)
	authtest.NoError(t, err)
	gcm, err := cipher.NewGCM(block)
	authtest.NoError(t, err)
	n := gcm.NonceSize()
	der, err := gcm.Open(nil, row.Private[:n], row.Private[n:], []byte(kid))
	authtest.NoError(t, err)
	priv, err := x509.ParsePKCS8PrivateKey(der)
	authtest.NoError(t, err)
	pub, err := x509.ParsePKIXPublicKey(row.Public)
	authtest.NoError(t, err)
	if !priv.(crypto.Signer).Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(pub) {
		t.Fatal("the sealed private key is not the row's public key's pair")
	}
	if bytes.Contains(row.Private, der) || bytes.Contains(row.Private, der[len(der)-32:]) {
		t.Fatal("the stored bytes contain the private key")
	}

	// The same master key opens it again, on another start.
	again := newManager(t, st, o)
	authtest.Equal(t, kidOf(t, issue(t, again, far)), kid)

	for _, tc := range []struct {
		name      string
		masterKey []byte
		want      string
	}{
		{"no master key", nil, "LATCHKEY_MASTER_KEY is not set"},
		{"another master key", bytes.Repeat([]byte{7}, 32), "does not open with this LATCHKEY_MASTER_KEY"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := options(token.ES256, clock)
			o.MasterKey = tc.masterKey
			_, err := token.New(context.Background(), st, o)
			if err == nil {
				t.Fatal("New succeeded")
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.want) || !strings.Contains(msg, kid) {
				t.Fatalf("error %q does not say %q about %s", msg, tc.want, kid)
			}
			for _, secret := range [][]byte{masterKey, tc.masterKey, der, row.Private} {
				for _, enc := range []string{hex.EncodeToString(secret), base64.StdEncoding.EncodeToString(secret), string(secret)} {
					if len(secret) > 0 && strings.Contains(msg, enc) {
						t.Fatalf("error %q shows key material", msg)
					}
				}
			}
		})
	}
}

func TestWithoutMasterKeyThePrivateKeyIsPlain(t *testing.T) {
	clock := authtest.NewClock()
	st := openStore(t)
	m := newManager(t, st, options(token.EdDSA, clock))
	row := storedKey(t, st, kidOf(t, issue(t, m, far)))
	if row.Encrypted {
		t.Fatal("the row is marked encrypted")
	}
	if _, err := x509.ParsePKCS8PrivateKey(row.Private); err != nil {
		t.Fatalf("the plain row is not PKCS#8: %v", err)
	}
}

// TestSealedKeyCannotMoveRows: the kid is the sealing's additional data,
// so a sealed key copied into a row with another kid does not open.
func TestSealedKeyCannotMoveRows(t *testing.T) {
	clock := authtest.NewClock()
	o := options(token.ES256, clock)
	o.MasterKey = masterKey
	ks := &memKeys{}
	newManager(t, ks, o)
	moved := ks.rows[0]
	moved.KID = "moved"
	_, err := token.New(context.Background(), &memKeys{rows: []token.StoredKey{moved}}, o)
	if err == nil || !strings.Contains(err.Error(), "moved") {
		t.Fatalf("New with a moved sealed key: %v", err)
	}
}

// TestMasterKeyAddedLater: plain keys stay usable, and the next rotation
// is sealed.
func TestMasterKeyAddedLater(t *testing.T) {
	clock := authtest.NewClock()
	st := openStore(t)
	plain := newManager(t, st, options(token.ES256, clock))
	old := issue(t, plain, far)

	o := options(token.ES256, clock)
	o.MasterKey = masterKey
	m := newManager(t, st, o)
	_, err := m.Verify(old)
	authtest.NoError(t, err)
	authtest.Equal(t, kidOf(t, issue(t, m, far)), kidOf(t, old))
	rot, err := m.Rotate(context.Background())
	authtest.NoError(t, err)
	if !storedKey(t, st, rot.KID).Encrypted {
		t.Fatal("the rotated key is stored plain")
	}
}

func TestDamagedRowIsAStartUpError(t *testing.T) {
	clock := authtest.NewClock()
	ks := &memKeys{}
	newManager(t, ks, options(token.ES256, clock))
	for _, tc := range []struct {
		name   string
		damage func(r *token.StoredKey)
	}{
		{"public key", func(r *token.StoredKey) { r.Public = r.Public[:10] }},
		{"private key", func(r *token.StoredKey) { r.Private = r.Private[:10] }},
		{"another pair's private key", func(r *token.StoredKey) {
			other := &memKeys{}
			newManager(t, other, options(token.ES256, clock))
			r.Private = other.rows[0].Private
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ks.rows[0]
			tc.damage(&r)
			_, err := token.New(context.Background(), &memKeys{rows: []token.StoredKey{r}}, options(token.ES256, clock))
			if err == nil || !strings.Contains(err.Error(), r.KID) {
				t.Fatalf("New with a damaged %s: %v", tc.name, err)
			}
		})
	}
}
