package verify_test

import (
	"testing"

	"github.com/latchkey/latchkey/verify"
)

func TestNewParserRefusesLooseRules(t *testing.T) {
	good := verify.Rules{Alg: verify.ES256, Issuer: issuer, Audience: audience}
	if _, err := verify.NewParser(good); err != nil {
		t.Fatalf("NewParser(%+v): %v", good, err)
	}
	for _, tc := range []struct {
		name   string
		change func(*verify.Rules)
	}{
		{"no alg", func(r *verify.Rules) { r.Alg = "" }},
		{"alg none", func(r *verify.Rules) { r.Alg = "none" }},
		{"an alg Latchkey does not sign with", func(r *verify.Rules) { r.Alg = "RS256" }},
		{"no issuer", func(r *verify.Rules) { r.Issuer = "" }},
		{"no audience", func(r *verify.Rules) { r.Audience = "" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := good
			tc.change(&r)
			if _, err := verify.NewParser(r); err == nil {
				t.Fatalf("NewParser(%+v) succeeded", r)
			}
		})
	}
}
