// Package seal encrypts small secrets at rest under the master key
// (LATCHKEY_MASTER_KEY): a stolen copy of the database then holds
// nothing a thief can use without the key, which lives elsewhere.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
)

// Box seals with one key. Each sealing is bound to a label (the row it is
// for), so a sealed value copied into another row does not open there.
type Box struct {
	aead cipher.AEAD
}

// New returns a Box for a 32-byte key (AES-256-GCM).
func New(key []byte) (*Box, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("master key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("master key: %w", err)
	}
	return &Box{aead: aead}, nil
}

// Seal encrypts plain for label: a random 96-bit nonce followed by the
// ciphertext, authenticated together with the label. Random nonces are
// safe here: a key seals far fewer than GCM's limit of 2^32 values.
func (b *Box) Seal(plain []byte, label string) []byte {
	nonce := make([]byte, b.aead.NonceSize(), b.aead.NonceSize()+len(plain)+b.aead.Overhead())
	rand.Read(nonce) // never fails (crypto/rand panics rather than return an error)
	return b.aead.Seal(nonce, nonce, plain, []byte(label))
}

// Open decrypts what Seal made for the same label.
func (b *Box) Open(sealed []byte, label string) ([]byte, error) {
	n := b.aead.NonceSize()
	if len(sealed) < n+b.aead.Overhead() {
		return nil, errors.New("seal: sealed value too short")
	}
	return b.aead.Open(nil, sealed[:n], sealed[n:], []byte(label))
}
