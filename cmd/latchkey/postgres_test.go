package main

import (
	"net/http"
	neturl "net/url"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/store/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// TestServeOnPostgres runs the real program on PostgreSQL: registration,
// a password login and a call with the token.
func TestServeOnPostgres(t *testing.T) {
	url, stop := startServer(t, testEnv(t, "LATCHKEY_DATABASE_URL", pgtest.URL(t)))
	res, err := http.Post(url+"/api/users", "application/json",
		strings.NewReader(`{"username":"alice","email":"alice@example.com","password":"correct horse battery"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("register on PostgreSQL: %d", res.StatusCode)
	}
	res, err = http.PostForm(url+"/api/token", neturl.Values{"username": {"ALICE"}, "password": {"correct horse battery"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("login on PostgreSQL: %d", res.StatusCode)
	}
	res, err = http.Get(url + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("readyz on PostgreSQL: %d", res.StatusCode)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}
