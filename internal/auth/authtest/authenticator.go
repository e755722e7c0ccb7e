package authtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/go-webauthn/webauthn/protocol/webauthncbor"
)

// Authenticator is a passkey authenticator and the browser around it, in
// software, for tests that go through WebAuthn ceremonies without
// Chromium: it makes discoverable ES256 credentials with "none"
// attestation and answers as navigator.credentials.create and .get do
// (their PublicKeyCredential's toJSON), with the user present and
// verified unless told otherwise. Origin is what the browser would put in
// the client data: the page's origin.
type Authenticator struct {
	Origin string
	// NoUserVerification answers as an authenticator that only checked
	// presence (a touch, no PIN or biometric).
	NoUserVerification bool
	creds              []*softCredential
}

type softCredential struct {
	id, userHandle []byte
	rpID           string
	key            *ecdsa.PrivateKey
	count          uint32
}

var b64 = base64.RawURLEncoding

// The flags of authenticator data (WebAuthn §6.1).
const (
	flagUP = 0x01 // user present
	flagUV = 0x04 // user verified
	flagAT = 0x40 // attested credential data included
)

// creationOptions is what Create reads of the server's options.
type creationOptions struct {
	PublicKey struct {
		Challenge string `json:"challenge"`
		RP        struct {
			ID string `json:"id"`
		} `json:"rp"`
		User struct {
			ID string `json:"id"`
		} `json:"user"`
		Exclude []struct {
			ID string `json:"id"`
		} `json:"excludeCredentials"`
	} `json:"publicKey"`
}

// Create answers a registration's options (the server's JSON) with a new
// credential, as the browser sends it back.
func (a *Authenticator) Create(options []byte) ([]byte, error) {
	var o creationOptions
	if err := json.Unmarshal(options, &o); err != nil {
		return nil, err
	}
	pk := o.PublicKey
	for _, ex := range pk.Exclude {
		for _, c := range a.creds {
			if ex.ID == b64.EncodeToString(c.id) {
				return nil, errors.New("InvalidStateError: the authenticator holds an excluded credential")
			}
		}
	}
	handle, err := b64.DecodeString(pk.User.ID)
	if err != nil {
		return nil, fmt.Errorf("user.id: %w", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	c := &softCredential{id: make([]byte, 16), userHandle: handle, rpID: pk.RP.ID, key: key}
	rand.Read(c.id)
	a.creds = append(a.creds, c)

	pub, err := key.PublicKey.ECDH()
	if err != nil {
		return nil, err
	}
	xy := pub.Bytes()[1:] // 0x04, x, y
	cose, err := webauthncbor.Marshal(map[int]any{1: 2, 3: -7, -1: 1, -2: xy[:32], -3: xy[32:]})
	if err != nil {
		return nil, err
	}
	auth := a.authData(c, flagAT)
	auth = append(auth, make([]byte, 16)...) // AAGUID: none
	auth = binary.BigEndian.AppendUint16(auth, uint16(len(c.id)))
	auth = append(append(auth, c.id...), cose...)
	attestation, err := webauthncbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": auth})
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]any{
		"id": b64.EncodeToString(c.id), "rawId": b64.EncodeToString(c.id), "type": "public-key",
		"authenticatorAttachment": "platform", "clientExtensionResults": map[string]any{},
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(a.clientData("webauthn.create", pk.Challenge)),
			"attestationObject": b64.EncodeToString(attestation),
			"transports":        []string{"internal"},
		},
	})
}

// requestOptions is what Get reads of the server's options.
type requestOptions struct {
	PublicKey struct {
		Challenge string `json:"challenge"`
		RPID      string `json:"rpId"`
	} `json:"publicKey"`
}

// Get answers a login's options with the newest credential it holds for
// the relying party, as the browser sends it back.
func (a *Authenticator) Get(options []byte) ([]byte, error) {
	var o requestOptions
	if err := json.Unmarshal(options, &o); err != nil {
		return nil, err
	}
	var c *softCredential
	for _, cand := range a.creds {
		if cand.rpID == o.PublicKey.RPID {
			c = cand
		}
	}
	if c == nil {
		return nil, errors.New("NotAllowedError: no passkey for " + o.PublicKey.RPID)
	}
	c.count++
	auth := a.authData(c, 0)
	client := a.clientData("webauthn.get", o.PublicKey.Challenge)
	digest := sha256.Sum256(client)
	signed := sha256.Sum256(append(append([]byte{}, auth...), digest[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, c.key, signed[:])
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]any{
		"id": b64.EncodeToString(c.id), "rawId": b64.EncodeToString(c.id), "type": "public-key",
		"authenticatorAttachment": "platform", "clientExtensionResults": map[string]any{},
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(client),
			"authenticatorData": b64.EncodeToString(auth),
			"signature":         b64.EncodeToString(sig),
			"userHandle":        b64.EncodeToString(c.userHandle),
		},
	})
}

// authData is the authenticator data's fixed part: the relying party id's
// hash, the flags, the signature counter.
func (a *Authenticator) authData(c *softCredential, flags byte) []byte {
	rp := sha256.Sum256([]byte(c.rpID))
	flags |= flagUP
	if !a.NoUserVerification {
		flags |= flagUV
	}
	return binary.BigEndian.AppendUint32(append(rp[:], flags), c.count)
}

// clientData is the browser's collected client data.
func (a *Authenticator) clientData(typ, challenge string) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": a.Origin, "crossOrigin": false})
	return b
}
