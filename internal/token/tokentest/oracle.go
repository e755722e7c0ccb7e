package tokentest

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"math/big"
	"strings"
	"testing"
)

// The fuzz tests of every verifier check what it accepts against an
// oracle of their own, written without the JWT library: a check of the
// signature with the key itself, and of the token's shape.

// Signed reports whether sig is a key's signature of input.
type Signed func(input string, sig []byte) bool

// SignedHS256 checks HMAC-SHA256 signatures made with secret.
func SignedHS256(secret []byte) Signed {
	return func(input string, sig []byte) bool {
		mac := hmac.New(sha256.New, secret)
		mac.Write([]byte(input))
		return hmac.Equal(mac.Sum(nil), sig)
	}
}

// SignedEdDSA checks Ed25519 signatures by pub.
func SignedEdDSA(pub ed25519.PublicKey) Signed {
	return func(input string, sig []byte) bool { return ed25519.Verify(pub, []byte(input), sig) }
}

// SignedES256 checks ES256 signatures by pub, in JWS's form (r and s, 32
// bytes each).
func SignedES256(pub *ecdsa.PublicKey) Signed {
	return func(input string, sig []byte) bool {
		if len(sig) != 64 {
			return false
		}
		d := sha256.Sum256([]byte(input))
		r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
		return ecdsa.Verify(pub, d[:], r, s)
	}
}

// CheckAccepted fails t unless tok, which a verifier of alg accepted, is
// three segments of canonical base64url (the one encoding the parser
// allows) whose signature signed confirms over exactly the header and
// payload.
func CheckAccepted(t *testing.T, alg, tok string, signed Signed) {
	t.Helper()
	strict := base64.RawURLEncoding.Strict()
	segs := strings.Split(tok, ".")
	if len(segs) != 3 {
		t.Fatalf("%s: Verify accepted %q of %d segments", alg, tok, len(segs))
	}
	for _, seg := range segs {
		if b, err := strict.DecodeString(seg); err != nil || strict.EncodeToString(b) != seg {
			t.Fatalf("%s: Verify accepted %q with segment %q not in canonical base64url", alg, tok, seg)
		}
	}
	sig, _ := strict.DecodeString(segs[2])
	if !signed(segs[0]+"."+segs[1], sig) {
		t.Fatalf("%s: Verify accepted %q, which the key did not sign", alg, tok)
	}
}
