package auth

import (
	"crypto/rand"
	"encoding/base32"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestTOTPVectors checks the codes against RFC 6238's test vectors for
// SHA-1 (Appendix B), cut to six digits as the RFC's truncation does: an
// implementation of our own reading would agree with itself whatever it
// got wrong.
func TestTOTPVectors(t *testing.T) {
	secret := base32.StdEncoding.EncodeToString([]byte("12345678901234567890"))
	for _, v := range []struct {
		unix int64
		code string
	}{
		{59, "287082"},
		{1111111109, "081804"},
		{1111111111, "050471"},
		{1234567890, "005924"},
		{2000000000, "279037"},
		{20000000000, "353130"},
	} {
		now := time.Unix(v.unix, 0)
		step, ok := matchTOTP(secret, v.code, now, 0)
		if !ok || step != v.unix/30 {
			t.Errorf("at %d: code %s matched %v at step %d, want step %d", v.unix, v.code, ok, step, v.unix/30)
		}
		if _, ok := matchTOTP(secret, v.code, now, v.unix/30); ok {
			t.Errorf("at %d: the code matched after its step was used", v.unix)
		}
	}
}

// TestTOTPAgainstOathtool cross-checks with Debian's oathtool, another
// implementation altogether, at times around now and with random secrets.
func TestTOTPAgainstOathtool(t *testing.T) {
	if _, err := exec.LookPath("oathtool"); err != nil {
		t.Skip("oathtool is not installed (Debian package oathtool; .ci/run installs it)")
	}
	for i := range 5 {
		secret := newTOTPSecretForTest()
		at := time.Now().Add(time.Duration(i) * 17 * time.Minute).Truncate(time.Second)
		out, err := exec.Command("oathtool", "--totp", "--base32", "--digits=6",
			"--now="+at.UTC().Format("2006-01-02 15:04:05 UTC"), secret).Output()
		if err != nil {
			t.Fatalf("oathtool: %v", err)
		}
		code := strings.TrimSpace(string(out))
		step, ok := matchTOTP(secret, code, at, 0)
		if !ok || step != at.Unix()/totpPeriod {
			t.Errorf("oathtool's code %s for %s at %s: matched %v at step %d, want %d", code, secret, at, ok, step, at.Unix()/totpPeriod)
		}
	}
}

// newTOTPSecretForTest is a fresh random secret, as enrolment makes one.
func newTOTPSecretForTest() string {
	b := make([]byte, 20)
	rand.Read(b)
	return base32.StdEncoding.EncodeToString(b)
}
