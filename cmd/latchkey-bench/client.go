package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/latchkey/latchkey/internal/auth"
	"github.com/latchkey/latchkey/internal/password"
	"github.com/latchkey/latchkey/internal/store"
	"golang.org/x/sync/errgroup"
)

// seed creates users user0…userN-1 through the store, with one hash made
// once at the default parameters (hashing a million passwords would take
// hours; verifying them is what the benchmark measures).
func seed(ctx context.Context, db string, n int) error {
	st, err := store.Open(ctx, db)
	if err != nil {
		return err
	}
	defer st.Close()
	hash, err := password.Hash(benchPassword, password.DefaultParams())
	if err != nil {
		return err
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	const batchSize = 10000
	for start := 0; start < n; start += batchSize {
		batch := make([]*auth.User, 0, batchSize)
		for i := start; i < min(start+batchSize, n); i++ {
			batch = append(batch, &auth.User{ID: uuid.Must(uuid.NewV7()).String(), Username: fmt.Sprintf("user%d", i),
				Email: fmt.Sprintf("user%d@example.com", i), PasswordHash: hash, Role: auth.RoleUser, CreatedAt: now, UpdatedAt: now})
		}
		if err := st.ImportUsers(ctx, batch); err != nil {
			return err
		}
	}
	return nil
}

// seedSessions opens n API sessions through the store, spread over the
// server's seeded users, with refresh tokens issued a minute ago: older than
// the session's refresh budget (auth.RefreshMinInterval), so that each may
// be refreshed at once. Logging in n times would cost n hashes. It returns
// the raw refresh tokens.
func seedSessions(ctx context.Context, db string, users, n int) ([]string, error) {
	st, err := store.Open(ctx, db)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	ids := make([]string, min(users, n))
	for i := range ids {
		u, err := st.UserByUsername(ctx, fmt.Sprintf("user%d", i*users/len(ids)))
		if err != nil {
			return nil, err
		}
		ids[i] = u.ID
	}
	at := time.Now().Add(-time.Minute).UTC().Truncate(time.Microsecond)
	tokens := make([]string, n)
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for i := range tokens {
		g.Go(func() error {
			raw := auth.NewOpaqueToken()
			ss := &auth.Session{ID: uuid.Must(uuid.NewV7()).String(), UserID: ids[i%len(ids)], Kind: auth.SessionAPI,
				CreatedAt: at, LastSeenAt: at, ExpiresAt: at.Add(24 * time.Hour)}
			rt := &auth.RefreshToken{ID: uuid.Must(uuid.NewV7()).String(), SessionID: ss.ID, TokenHash: auth.HashToken(raw),
				CreatedAt: at, ExpiresAt: ss.ExpiresAt}
			tokens[i] = raw
			return st.CreateSession(ctx, ss, rt)
		})
	}
	return tokens, g.Wait()
}

type tokenPair struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
}

func passwordForm(username string) url.Values {
	return url.Values{"grant_type": {"password"}, "username": {username}, "password": {benchPassword}}
}

func refreshForm(token string) url.Values {
	return url.Values{"grant_type": {"refresh_token"}, "refresh_token": {token}}
}

func tokenRequest(ctx context.Context, c *http.Client, base string, form url.Values) (int, tokenPair, error) {
	r, _ := http.NewRequestWithContext(ctx, "POST", base+"/api/token", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := c.Do(r)
	if err != nil {
		return 0, tokenPair{}, err
	}
	defer res.Body.Close()
	var p tokenPair
	json.NewDecoder(res.Body).Decode(&p)
	io.Copy(io.Discard, res.Body)
	return res.StatusCode, p, nil
}

// logIn gets token pairs for n of the server's seeded users, spread evenly
// over its table (not only its first rows), into s.tokens.
func (s *server) logIn(ctx context.Context, c *http.Client, n int) error {
	s.tokens = make([]tokenPair, 0, n)
	for i := range n {
		name := fmt.Sprintf("user%d", i*s.users/n)
		status, p, err := tokenRequest(ctx, c, s.url, passwordForm(name))
		if err != nil || status != 200 {
			return fmt.Errorf("log in %s: %d %v", name, status, err)
		}
		s.tokens = append(s.tokens, p)
	}
	return nil
}

func browserLogin(c *http.Client, base string) (*http.Cookie, error) {
	res, err := c.PostForm(base+"/login", url.Values{"identifier": {"user0"}, "password": {benchPassword}})
	if err != nil {
		return nil, err
	}
	res.Body.Close()
	for _, ck := range res.Cookies() {
		if ck.Name == "latchkey_session" {
			return ck, nil
		}
	}
	return nil, fmt.Errorf("browser login: %d, no session cookie", res.StatusCode)
}

// fetch GETs u and returns the answer, which must be 200.
func fetch(c *http.Client, u, bearer string, cookie *http.Cookie) (recorded, error) {
	r, _ := http.NewRequest("GET", u, nil)
	if bearer != "" {
		r.Header.Set("Authorization", "Bearer "+bearer)
	}
	if cookie != nil {
		r.AddCookie(cookie)
	}
	res, err := c.Do(r)
	if err != nil {
		return recorded{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err == nil && res.StatusCode != 200 && res.StatusCode != 204 {
		err = fmt.Errorf("GET %s: %d", u, res.StatusCode)
	}
	return recorded{Status: res.StatusCode, Header: res.Header, Body: b}, err
}

// seedPosts writes n posts through the API as the first logged-in user, so
// that GET /api/posts answers a page of them.
func (s *server) seedPosts(ctx context.Context, c *http.Client, n int) error {
	for i := range n {
		body := fmt.Sprintf(`{"title":"Post %d","body":"%s"}`, i, strings.Repeat("Words of a post. ", 20))
		r, _ := http.NewRequestWithContext(ctx, "POST", s.url+"/api/posts", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Authorization", "Bearer "+s.tokens[0].AccessToken)
		status, err := send(c, r)
		if err != nil || status != http.StatusCreated {
			return fmt.Errorf("write post %d: %d %v", i, status, err)
		}
	}
	return nil
}
