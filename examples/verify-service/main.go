// Command verify-service is a small service that accepts Latchkey's access
// tokens without calling Latchkey for each request, with the package
// github.com/latchkey/latchkey/verify: /healthz is open, /hello needs a
// token, /admin a token of an admin. README.md beside it says how to run
// it against `make run`.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/latchkey/latchkey/verify"
)

func main() {
	issuer := flag.String("issuer", "http://localhost:8080", "Latchkey's base URL (its LATCHKEY_BASE_URL)")
	addr := flag.String("addr", "localhost:8081", "the address to listen on")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *issuer, *addr); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, issuer, addr string) error {
	// New fetches Latchkey's public keys now, so a wrong URL shows at
	// once; ctx ends their refresh in the background.
	v, err := verify.New(ctx, issuer)
	if err != nil {
		return err
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /hello", func(w http.ResponseWriter, r *http.Request) {
		c := verify.ClaimsFrom(r.Context()) // never nil here: /hello is not public
		fmt.Fprintf(w, "hello, user %s (%s) of session %s; your token is good until %s\n",
			c.UserID, c.Role, c.SessionID, c.ExpiresAt.Format(time.RFC3339))
	})
	mux.HandleFunc("GET /admin", func(w http.ResponseWriter, r *http.Request) {
		if verify.ClaimsFrom(r.Context()).Role != verify.RoleAdmin {
			http.Error(w, "admins only", http.StatusForbidden)
			return
		}
		fmt.Fprintln(w, "welcome, admin")
	})

	srv := &http.Server{
		Addr:              addr,
		Handler:           v.Middleware(mux, verify.Public("/healthz")),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
	}()
	log.Printf("listening on http://%s, accepting the access tokens of %s", addr, issuer)
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
