package verify_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/latchkey/latchkey/verify"
)

// A service protects its routes with Middleware: /healthz and /static/
// are open, everything else needs an access token from Latchkey, and the
// handlers read who is calling from the request's context. (The examples
// run against a stand-in for Latchkey; a service passes New its
// LATCHKEY_BASE_URL.)
func Example() {
	latchkey := startFakeLatchkey(verify.ES256)
	defer latchkey.Close()

	v, err := verify.New(context.Background(), latchkey.URL())
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /orders", func(w http.ResponseWriter, r *http.Request) {
		c := verify.ClaimsFrom(r.Context())
		fmt.Fprintf(w, "the orders of user %s (%s)\n", c.UserID, c.Role)
	})
	handler := v.Middleware(mux, verify.Public("/healthz", "/static/"))

	call := func(path, token string) {
		r := httptest.NewRequest("GET", path, nil)
		if token != "" {
			r.Header.Set("Authorization", "Bearer "+token)
		}
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, r)
		if w.Code == http.StatusUnauthorized {
			fmt.Println(w.Code, w.Header().Get("WWW-Authenticate"))
			return
		}
		fmt.Print(w.Code, " ", w.Body)
	}
	call("/healthz", "")
	call("/orders", "")
	call("/orders", latchkey.AccessToken())
	call("/orders", "not-a-token")
	// Output:
	// 200 ok
	// 401 Bearer realm="latchkey"
	// 200 the orders of user 0194f2a0-7a4e-7cc3-9d6e-0a1b2c3d4e5f (user)
	// 401 Bearer realm="latchkey", error="invalid_token"
}

// Verify checks one token, for a service that receives them other than
// in an HTTP request's Authorization header (a WebSocket's first message,
// a queue).
func ExampleVerifier_Verify() {
	latchkey := startFakeLatchkey(verify.ES256)
	defer latchkey.Close()
	ctx, stop := context.WithCancel(context.Background())
	defer stop() // ends the background refresh of the keys

	v, err := verify.New(ctx, latchkey.URL())
	if err != nil {
		log.Fatal(err)
	}
	c, err := v.Verify(ctx, latchkey.AccessToken())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.UserID, c.Role, c.ExpiresAt.Sub(c.IssuedAt))

	_, err = v.Verify(ctx, "not-a-token")
	fmt.Println(errors.Is(err, verify.ErrInvalid))
	// Output:
	// 0194f2a0-7a4e-7cc3-9d6e-0a1b2c3d4e5f user 15m0s
	// true
}

// A Latchkey run with LATCHKEY_JWT_ALG=HS256 signs with a shared secret
// and publishes no key: a service that holds the same secret verifies
// with WithSecret, and New fetches nothing.
func ExampleWithSecret() {
	secret := []byte("the LATCHKEY_JWT_SECRET, 32 bytes or more")
	v, err := verify.New(context.Background(), "https://auth.example.com", verify.WithSecret(secret))
	if err != nil {
		log.Fatal(err)
	}

	// A token as that Latchkey signs it.
	t := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"iss": "https://auth.example.com", "aud": "https://auth.example.com",
		"sub": "0194f2a0-7a4e-7cc3-9d6e-0a1b2c3d4e5f", "sid": "0194f2a0-7a4e-7cc3-9d6e-0a1b2c3d4e60",
		"role": "admin", "iat": jwt.NewNumericDate(time.Now()), "exp": jwt.NewNumericDate(time.Now().Add(time.Minute)),
		"jti": "0194f2a0-7a4e-7cc3-9d6e-0a1b2c3d4e61",
	})
	t.Header["typ"] = "at+jwt"
	t.Header["kid"] = verify.SecretKID(secret)
	token, err := t.SignedString(secret)
	if err != nil {
		log.Fatal(err)
	}

	c, err := v.Verify(context.Background(), token)
	fmt.Println(c.Role, err)
	// Output:
	// admin <nil>
}

// A handler behind Middleware can be tested without tokens: put the
// claims in the request's context as Middleware would.
func ExampleContextWithClaims() {
	orders := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c := verify.ClaimsFrom(r.Context()); c.Role != verify.RoleAdmin {
			http.Error(w, "admins only", http.StatusForbidden)
			return
		}
		fmt.Fprintln(w, "all the orders")
	})

	for _, role := range []string{verify.RoleUser, verify.RoleAdmin} {
		r := httptest.NewRequest("GET", "/orders", nil)
		r = r.WithContext(verify.ContextWithClaims(r.Context(), &verify.Claims{UserID: "u1", Role: role}))
		w := httptest.NewRecorder()
		orders.ServeHTTP(w, r)
		fmt.Println(role, w.Code, strings.TrimSpace(w.Body.String()))
	}
	// Output:
	// user 403 admins only
	// admin 200 all the orders
}
