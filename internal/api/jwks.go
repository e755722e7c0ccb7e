package api

import (
	"net/http"
	"reflect"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"
)

// JWKSet is the JSON Web Key Set (RFC 7517) at /.well-known/jwks.json, as
// the document describes it. Package token builds the document itself;
// these types only give it a schema.
type JWKSet struct {
	Keys []JWK `json:"keys" doc:"The keys that may sign, and retired ones whose tokens may still be unexpired; empty with HS256, whose secret is never published"`
}

// JWK is one public signing key: P-256 (ES256) or Ed25519 (EdDSA).
type JWK struct {
	Kty string `json:"kty" enum:"EC,OKP"`
	Crv string `json:"crv" enum:"P-256,Ed25519"`
	X   string `json:"x"`
	Y   string `json:"y,omitempty" doc:"P-256 keys only"`
	KID string `json:"kid" doc:"The kid of the tokens the key signs"`
	Alg string `json:"alg" enum:"ES256,EdDSA"`
	Use string `json:"use" enum:"sig"`
}

func jwksOperation(a huma.API) *huma.Operation {
	reg := a.OpenAPI().Components.Schemas
	return &huma.Operation{
		OperationID: "jwks", Method: http.MethodGet, Path: "/.well-known/jwks.json", Tags: []string{"tokens"},
		Summary:     "The public keys that verify access tokens",
		Description: "Verifiers may cache it for as long as its Cache-Control header says.",
		Security:    public,
		Responses: map[string]*huma.Response{"200": {Description: "The key set", Content: map[string]*huma.MediaType{
			"application/jwk-set+json": {Schema: reg.Schema(reflect.TypeFor[JWKSet](), true, "JWKSet")},
		}}},
	}
}

func handleJWKS(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/jwk-set+json")
		// Verifiers may cache the keys for LATCHKEY_JWKS_MAX_AGE: a
		// rotated key is published at least that long before it signs, so
		// a cached set never lacks the kid of a token (short of a rotation
		// --now).
		w.Header().Set("Cache-Control", "public, max-age="+strconv.FormatInt(int64(d.JWKSMaxAge/time.Second), 10))
		w.Write(d.JWKS())
	})
}
