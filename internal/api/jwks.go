package api

import (
	"net/http"
	"reflect"

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
		// Verifiers cache the keys; a rotation is published within 60 s,
		// so caching them a few minutes is safe enough and saves requests.
		w.Header().Set("Cache-Control", "public, max-age=300")
		w.Write(d.JWKS())
	})
}
