// Package verify lets a Go service accept Latchkey's access tokens
// without calling Latchkey for each request: it checks them with the
// public keys Latchkey publishes at /.well-known/jwks.json, by the same
// rules Latchkey's own API applies (Parser is the code both use).
//
// A service makes one Verifier at start-up and wraps its handler:
//
//	v, err := verify.New(ctx, "https://auth.example.com") // Latchkey's LATCHKEY_BASE_URL
//	if err != nil {
//		log.Fatal(err) // Latchkey unreachable, or no key for the algorithm
//	}
//	mux := http.NewServeMux()
//	mux.HandleFunc("GET /orders", func(w http.ResponseWriter, r *http.Request) {
//		c := verify.ClaimsFrom(r.Context()) // c.UserID, c.Role, c.SessionID
//		...
//	})
//	http.ListenAndServe(":8081", v.Middleware(mux, verify.Public("/healthz", "/static/")))
//
// Clients get the token from Latchkey (POST /api/token) and send it as
// Authorization: Bearer <token>. Without one, Middleware answers 401 with
// WWW-Authenticate: Bearer realm="latchkey"; with a bad or expired one,
// the same with error="invalid_token" (RFC 6750). Verify checks a single
// token for services that receive them some other way.
//
// The keys are cached: fetched at New, again in the background every
// DefaultRefreshInterval, and when a token names a key the Verifier does
// not know (after `latchkey keys rotate --now`), at most once per
// UnknownKIDRefetchFloor. While Latchkey is unreachable the cached keys go
// on working. Tokens that verified are remembered too (Cache), so a token
// seen before costs a hash and a map look-up rather than a signature check.
//
// What this cannot see is revocation: a token from a session that has
// logged out, or of a user since disabled, verifies until its exp
// (15 minutes by default). A service that must refuse it at once asks
// Latchkey instead, with forward authentication (GET /auth/verify) or
// token introspection.
//
// The package imports nothing of Latchkey's internals, only
// github.com/golang-jwt/jwt/v5 and github.com/MicahParks/jwkset: a service
// that imports it compiles none of the server.
package verify
