package authtest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/latchkey/latchkey/internal/auth"
)

// TestStore runs the contract every auth.Store must satisfy. open returns a
// fresh, migrated, empty store for each call.
func TestStore(t *testing.T, open func(t *testing.T) auth.Store) {
	tests := []storeTest{
		{"CreateAndGetUser", testCreateAndGetUser},
		{"UsernameUniqueIgnoringCase", testUsernameUnique},
		{"EmailUnique", testEmailUnique},
		{"IdentityTaken", testIdentityTaken},
		{"ConcurrentDuplicateRegistration", testConcurrentDuplicates},
		{"NotFound", testNotFound},
		{"SetPasswordHashAndDisabled", testUpdates},
		{"LoginFailures", testLoginFailures},
		{"ReserveLoginAttempt", testReserveLoginAttempt},
		{"ConcurrentLoginAttempts", testConcurrentLoginAttempts},
		{"Ping", func(t *testing.T, s auth.Store) { NoError(t, s.Ping(context.Background())) }},
	}
	tests = append(tests, sessionTests()...)
	tests = append(tests, purgeTests()...)
	tests = append(tests, letterTests()...)
	tests = append(tests, userTests()...)
	tests = append(tests, auditTests()...)
	tests = append(tests, mfaTests()...)
	tests = append(tests, passkeyTests()...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, open(t)) })
	}
}

type storeTest struct {
	name string
	fn   func(t *testing.T, s auth.Store)
}

// NewUser returns a valid user that is not stored yet.
func NewUser(username, email string, at time.Time) *auth.User {
	return &auth.User{
		ID:           uuid.Must(uuid.NewV7()).String(),
		Username:     username,
		Email:        email,
		PasswordHash: "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
		Role:         auth.RoleUser,
		CreatedAt:    at,
		UpdatedAt:    at,
	}
}

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 123456000, time.UTC)

func testCreateAndGetUser(t *testing.T, s auth.Store) {
	ctx := context.Background()
	u := NewUser("Alice", "alice@example.com", t0)
	u.Role = auth.RoleAdmin
	NoError(t, s.CreateUser(ctx, u, nil))

	for name, get := range map[string]func() (*auth.User, error){
		"by id":                 func() (*auth.User, error) { return s.UserByID(ctx, u.ID) },
		"by email":              func() (*auth.User, error) { return s.UserByEmail(ctx, "alice@example.com") },
		"by username":           func() (*auth.User, error) { return s.UserByUsername(ctx, "Alice") },
		"by username, any case": func() (*auth.User, error) { return s.UserByUsername(ctx, "aLICE") },
	} {
		got, err := get()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got.ID != u.ID || got.Username != "Alice" || got.Email != u.Email || got.PasswordHash != u.PasswordHash ||
			got.Role != auth.RoleAdmin || !got.CreatedAt.Equal(t0) || !got.UpdatedAt.Equal(t0) || got.DisabledAt != nil {
			t.Fatalf("%s: got %+v, want %+v", name, got, u)
		}
		if got.CreatedAt.Location() != time.UTC {
			t.Fatalf("%s: created_at in %v, want UTC", name, got.CreatedAt.Location())
		}
	}
}

func testUsernameUnique(t *testing.T, s auth.Store) {
	ctx := context.Background()
	NoError(t, s.CreateUser(ctx, NewUser("Alice", "a1@example.com", t0), nil))
	err := s.CreateUser(ctx, NewUser("aLiCe", "a2@example.com", t0), nil)
	Code(t, err, auth.CodeUsernameTaken)
}

func testEmailUnique(t *testing.T, s auth.Store) {
	ctx := context.Background()
	NoError(t, s.CreateUser(ctx, NewUser("alice", "same@example.com", t0), nil))
	err := s.CreateUser(ctx, NewUser("bob", "same@example.com", t0), nil)
	Code(t, err, auth.CodeEmailTaken)
}

// testIdentityTaken: each half of the answer is about its own column, the
// username's case-insensitively, whether one account or two hold them.
func testIdentityTaken(t *testing.T, s auth.Store) {
	ctx := context.Background()
	NoError(t, s.CreateUser(ctx, NewUser("Alice", "alice@example.com", t0), nil))
	NoError(t, s.CreateUser(ctx, NewUser("carol", "carol@example.com", t0), nil))
	for _, tt := range []struct {
		username, email string
		byName, byEmail bool
	}{
		{"bob", "bob@example.com", false, false},
		{"ALICE", "bob@example.com", true, false},
		{"bob", "alice@example.com", false, true},
		{"alice", "alice@example.com", true, true},
		{"alice", "carol@example.com", true, true},
		{"alice@example.com", "Alice", false, false}, // the columns are not mixed up
	} {
		byName, byEmail, err := s.IdentityTaken(ctx, tt.username, tt.email)
		NoError(t, err)
		if byName != tt.byName || byEmail != tt.byEmail {
			t.Errorf("IdentityTaken(%q, %q) = %v, %v; want %v, %v", tt.username, tt.email, byName, byEmail, tt.byName, tt.byEmail)
		}
	}
}

// testConcurrentDuplicates is the race a pre-check cannot win: 20
// registrations of one email (and 20 of one username in varying case) at
// once give exactly one account each.
func testConcurrentDuplicates(t *testing.T, s auth.Store) {
	ctx := context.Background()
	const n = 20
	race := func(mk func(i int) *auth.User, conflict auth.Code) {
		var (
			wg        sync.WaitGroup
			mu        sync.Mutex
			ok, taken int
			other     []error
		)
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				err := s.CreateUser(ctx, mk(i), nil)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					ok++
				case auth.ErrorCode(err) == conflict:
					taken++
				default:
					other = append(other, err)
				}
			}()
		}
		close(start)
		wg.Wait()
		if ok != 1 || taken != n-1 || len(other) > 0 {
			t.Fatalf("%s: %d created, %d conflicts, other errors %v; want 1 and %d", conflict, ok, taken, other, n-1)
		}
	}
	race(func(i int) *auth.User {
		return NewUser(fmt.Sprintf("user%d", i), "race@example.com", t0)
	}, auth.CodeEmailTaken)
	race(func(i int) *auth.User {
		name := "Racer"
		if i%2 == 1 {
			name = "rACER"
		}
		return NewUser(name, fmt.Sprintf("racer%d@example.com", i), t0)
	}, auth.CodeUsernameTaken)
}

func testNotFound(t *testing.T, s auth.Store) {
	ctx := context.Background()
	for name, err := range map[string]error{
		"id":          second(s.UserByID(ctx, uuid.Must(uuid.NewV7()).String())),
		"malformed":   second(s.UserByID(ctx, "not-a-uuid")),
		"email":       second(s.UserByEmail(ctx, "nobody@example.com")),
		"username":    second(s.UserByUsername(ctx, "nobody")),
		"set hash":    s.SetPasswordHash(ctx, "nobody", "x", t0),
		"set disable": s.ApplyChange(ctx, auth.Change{UserID: "nobody", At: t0, Disable: true}),
		"delete":      s.DeleteUser(ctx, "nobody"),
	} {
		if !errors.Is(err, auth.ErrNotFound) {
			t.Errorf("%s: got %v, want ErrNotFound", name, err)
		}
	}
}

func second[T any](_ T, err error) error { return err }

func testUpdates(t *testing.T, s auth.Store) {
	ctx := context.Background()
	u := NewUser("carol", "carol@example.com", t0)
	NoError(t, s.CreateUser(ctx, u, nil))
	t1 := t0.Add(time.Hour)
	NoError(t, s.SetPasswordHash(ctx, u.ID, "$2b$04$new", t1))
	NoError(t, s.ApplyChange(ctx, auth.Change{UserID: u.ID, At: t1, Disable: true}))
	got, err := s.UserByID(ctx, u.ID)
	NoError(t, err)
	if got.PasswordHash != "$2b$04$new" || !got.UpdatedAt.Equal(t1) || got.DisabledAt == nil || !got.DisabledAt.Equal(t1) {
		t.Fatalf("after updates got %+v", got)
	}
	NoError(t, s.ApplyChange(ctx, auth.Change{UserID: u.ID, At: t1, Enable: true}))
	got, err = s.UserByID(ctx, u.ID)
	NoError(t, err)
	if got.DisabledAt != nil {
		t.Fatalf("enabled user still disabled at %v", got.DisabledAt)
	}
}

func testLoginFailures(t *testing.T, s auth.Store) {
	ctx := context.Background()
	n, _, err := s.LoginFailures(ctx, "k", t0.Add(-time.Hour))
	NoError(t, err)
	Equal(t, n, 0)
	for i := range 3 {
		reserveAttempt(t, s, "k", t0.Add(time.Duration(i)*time.Minute))
	}
	reserveAttempt(t, s, "other", t0)

	n, oldest, err := s.LoginFailures(ctx, "k", t0.Add(-time.Hour))
	NoError(t, err)
	Equal(t, n, 3)
	if !oldest.Equal(t0) {
		t.Fatalf("oldest = %v, want %v", oldest, t0)
	}
	n, oldest, err = s.LoginFailures(ctx, "k", t0.Add(30*time.Second))
	NoError(t, err)
	Equal(t, n, 2)
	if !oldest.Equal(t0.Add(time.Minute)) {
		t.Fatalf("oldest = %v, want %v", oldest, t0.Add(time.Minute))
	}

	NoError(t, s.ClearLoginFailures(ctx, "k"))
	n, _, err = s.LoginFailures(ctx, "k", t0.Add(-time.Hour))
	NoError(t, err)
	Equal(t, n, 0)
	n, _, err = s.LoginFailures(ctx, "other", t0.Add(-time.Hour))
	NoError(t, err)
	Equal(t, n, 1)
}

// reserveAttempt records an attempt for key at a time, with room to spare.
func reserveAttempt(t *testing.T, s auth.Store, key string, at time.Time) int64 {
	t.Helper()
	id, ok, _, err := s.ReserveLoginAttempt(context.Background(), key, at, at.Add(-time.Hour), 100)
	NoError(t, err)
	if !ok {
		t.Fatalf("attempt for %s at %v refused with room to spare", key, at)
	}
	return id
}

// testReserveLoginAttempt: attempts are refused at the limit, with the
// oldest one counted; a released attempt and one older than the window
// make room again, and keys do not share a count.
func testReserveLoginAttempt(t *testing.T, s auth.Store) {
	ctx := context.Background()
	const limit = 3
	reserve := func(key string, at time.Time) (int64, bool, time.Time) {
		t.Helper()
		id, ok, oldest, err := s.ReserveLoginAttempt(ctx, key, at, at.Add(-10*time.Minute), limit)
		NoError(t, err)
		return id, ok, oldest
	}
	var ids []int64
	for i := range limit {
		id, ok, _ := reserve("k", t0.Add(time.Duration(i)*time.Minute))
		Equal(t, ok, true)
		ids = append(ids, id)
	}
	_, ok, oldest := reserve("k", t0.Add(3*time.Minute))
	Equal(t, ok, false)
	if !oldest.Equal(t0) {
		t.Fatalf("oldest = %v, want %v", oldest, t0)
	}
	n, _, err := s.LoginFailures(ctx, "k", t0.Add(-time.Hour))
	NoError(t, err)
	Equal(t, n, limit) // a refusal records nothing

	_, ok, _ = reserve("other", t0.Add(3*time.Minute))
	Equal(t, ok, true)

	NoError(t, s.ReleaseLoginAttempt(ctx, ids[1]))
	_, ok, _ = reserve("k", t0.Add(3*time.Minute))
	Equal(t, ok, true)
	_, ok, oldest = reserve("k", t0.Add(4*time.Minute))
	Equal(t, ok, false)
	if !oldest.Equal(t0) {
		t.Fatalf("oldest = %v, want %v", oldest, t0)
	}
	// Ten minutes on, the first attempt has left the window.
	_, ok, _ = reserve("k", t0.Add(10*time.Minute+time.Second))
	Equal(t, ok, true)
}

// testConcurrentLoginAttempts is the race a count read before the hash
// cannot win: 30 reservations for one key at once, with room for 10, give
// exactly 10, and the refusals name the oldest attempt.
func testConcurrentLoginAttempts(t *testing.T, s auth.Store) {
	ctx := context.Background()
	const n, limit = 30, 10
	var (
		wg             sync.WaitGroup
		mu             sync.Mutex
		granted, other int
	)
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			at := t0.Add(time.Duration(i) * time.Millisecond)
			_, ok, oldest, err := s.ReserveLoginAttempt(ctx, "k", at, t0.Add(-time.Minute), limit)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				t.Error(err)
			case ok:
				granted++
			case oldest.Before(t0) || oldest.After(t0.Add(n*time.Millisecond)):
				t.Errorf("refused with oldest %v, outside the attempts made", oldest)
			default:
				other++
			}
		}()
	}
	close(start)
	wg.Wait()
	if granted != limit || other != n-limit {
		t.Fatalf("%d of %d simultaneous reservations granted, %d refused; want %d granted", granted, n, other, limit)
	}
	count, _, err := s.LoginFailures(ctx, "k", t0.Add(-time.Minute))
	NoError(t, err)
	Equal(t, count, limit)
}
