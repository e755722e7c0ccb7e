package token

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"
)

// generate makes a key pair of the configured algorithm and its row. The
// kid is the key's RFC 7638 thumbprint: derived from the public key, so
// it cannot collide between instances and any JOSE library can check it.
func (m *Manager) generate(created time.Time) (StoredKey, error) {
	var (
		priv crypto.Signer
		err  error
	)
	switch m.alg {
	case ES256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case EdDSA:
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	default:
		err = fmt.Errorf("no key pairs for %s", m.alg)
	}
	if err != nil {
		return StoredKey{}, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return StoredKey{}, err
	}
	pub, err := x509.MarshalPKIXPublicKey(priv.Public())
	if err != nil {
		return StoredKey{}, err
	}
	j, err := newJWK("", m.alg, priv.Public())
	if err != nil {
		return StoredKey{}, err
	}
	sk := StoredKey{
		KID:       j.thumbprint(),
		Alg:       m.alg,
		Private:   der,
		Public:    pub,
		CreatedAt: created,
		SignsFrom: created,
	}
	if m.box != nil {
		sk.Private, sk.Encrypted = m.box.Seal(der, sk.KID), true
	}
	return sk, nil
}

// openPrivate decrypts and parses a row's private key and checks that it
// belongs to the row's public key. Errors name the kid and the setting to
// look at, never key material.
func (m *Manager) openPrivate(r StoredKey, pub any) (any, error) {
	der := r.Private
	if r.Encrypted {
		if m.box == nil {
			return nil, fmt.Errorf("signing key %s is encrypted at rest and LATCHKEY_MASTER_KEY is not set", r.KID)
		}
		var err error
		if der, err = m.box.Open(r.Private, r.KID); err != nil {
			return nil, fmt.Errorf("signing key %s does not open with this LATCHKEY_MASTER_KEY (another master key sealed it, or the row is damaged)", r.KID)
		}
	}
	p, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: private key: %w", r.KID, err)
	}
	var ok bool
	switch k := p.(type) {
	case *ecdsa.PrivateKey:
		ok = r.Alg == ES256 && k.PublicKey.Equal(pub)
	case ed25519.PrivateKey:
		ok = r.Alg == EdDSA && k.Public().(ed25519.PublicKey).Equal(pub)
	}
	if !ok {
		return nil, fmt.Errorf("signing key %s: the private key is not the %s pair of the public key", r.KID, r.Alg)
	}
	return p, nil
}

func parsePublic(alg string, der []byte) (any, error) {
	p, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("public key: %w", err)
	}
	switch k := p.(type) {
	case *ecdsa.PublicKey:
		if alg == ES256 && k.Curve == elliptic.P256() {
			return k, nil
		}
	case ed25519.PublicKey:
		if alg == EdDSA {
			return k, nil
		}
	}
	return nil, fmt.Errorf("public key: %T is not an %s key", p, alg)
}

// jwk is a public key as RFC 7517 writes it, with the members RFC 7518 and
// RFC 8037 define for P-256 and Ed25519.
type jwk struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y,omitempty"`
	KID string `json:"kid"`
	Alg string `json:"alg"`
	Use string `json:"use"`
}

func newJWK(kid, alg string, pub any) (*jwk, error) {
	b64 := base64.RawURLEncoding.EncodeToString
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		b, err := k.Bytes() // 0x04 || X || Y, each 32 bytes on P-256
		if err != nil || len(b) != 65 {
			return nil, fmt.Errorf("public key: not an uncompressed P-256 point")
		}
		return &jwk{Kty: "EC", Crv: "P-256", X: b64(b[1:33]), Y: b64(b[33:]), KID: kid, Alg: alg, Use: "sig"}, nil
	case ed25519.PublicKey:
		return &jwk{Kty: "OKP", Crv: "Ed25519", X: b64(k), KID: kid, Alg: alg, Use: "sig"}, nil
	}
	return nil, fmt.Errorf("public key: no JWK for %T", pub)
}

// thumbprint is the RFC 7638 SHA-256 thumbprint: the required members in
// lexicographic order, no white space.
func (j *jwk) thumbprint() string {
	var doc string
	if j.Kty == "EC" {
		doc = `{"crv":` + string(jsonString(j.Crv)) + `,"kty":"EC","x":` + string(jsonString(j.X)) + `,"y":` + string(jsonString(j.Y)) + `}`
	} else {
		doc = `{"crv":` + string(jsonString(j.Crv)) + `,"kty":` + string(jsonString(j.Kty)) + `,"x":` + string(jsonString(j.X)) + `}`
	}
	sum := sha256.Sum256([]byte(doc))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func jsonString(s string) []byte {
	b, _ := json.Marshal(s) // a string always marshals
	return b
}
