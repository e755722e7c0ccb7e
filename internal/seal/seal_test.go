package seal_test

import (
	"bytes"
	"testing"

	"github.com/latchkey/latchkey/internal/seal"
)

func TestSealOpens(t *testing.T) {
	b, err := seal.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	sealed := b.Seal([]byte("secret"), "row-1")
	if bytes.Contains(sealed, []byte("secret")) {
		t.Fatal("sealed value holds the plain text")
	}
	got, err := b.Open(sealed, "row-1")
	if err != nil || string(got) != "secret" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if again := b.Seal([]byte("secret"), "row-1"); bytes.Equal(again, sealed) {
		t.Error("two sealings of one value are equal: the nonce is not random")
	}
}

// TestSealRefuses: another row's label, another key, a flipped bit or a
// cut value does not open.
func TestSealRefuses(t *testing.T) {
	b, _ := seal.New(bytes.Repeat([]byte{7}, 32))
	other, _ := seal.New(bytes.Repeat([]byte{8}, 32))
	sealed := b.Seal([]byte("secret"), "row-1")
	flipped := bytes.Clone(sealed)
	flipped[len(flipped)-1] ^= 1
	for name, open := range map[string]func() ([]byte, error){
		"other label": func() ([]byte, error) { return b.Open(sealed, "row-2") },
		"other key":   func() ([]byte, error) { return other.Open(sealed, "row-1") },
		"flipped bit": func() ([]byte, error) { return b.Open(flipped, "row-1") },
		"cut":         func() ([]byte, error) { return b.Open(sealed[:10], "row-1") },
	} {
		if got, err := open(); err == nil {
			t.Errorf("%s: opened to %q", name, got)
		}
	}
	if _, err := seal.New([]byte("short")); err == nil {
		t.Error("New accepted a 5-byte key")
	}
}
