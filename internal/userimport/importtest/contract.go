// Package importtest is the contract suite every userimport.Store must
// pass, run against SQLite and PostgreSQL by package store's tests.
package importtest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/auth"
	"github.com/latchkey/latchkey/internal/auth/authtest"
	"github.com/latchkey/latchkey/internal/userimport"
)

// Store is what the suite needs: the import's writes, and the accounts
// they land among.
type Store interface {
	auth.Store
	userimport.Store
}

// TestStore runs the contract every userimport.Store must satisfy. open
// returns a fresh, migrated, empty store for each call.
func TestStore(t *testing.T, open func(t *testing.T) Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s Store)
	}{
		{"RoundTrip", testRoundTrip},
		{"SkipsStoredUsers", testSkipsStoredUsers},
		{"SkipsDuplicatesInOneCall", testSkipsDuplicatesInOneCall},
		{"ManyRows", testManyRows},
		{"Taken", testTaken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, open(t)) })
	}
}

var t0 = time.Date(2019, 6, 7, 8, 9, 10, 123456000, time.UTC)

func newUser(name string) *auth.User {
	return authtest.NewUser(name, name+"@example.com", t0)
}

func importNew(t *testing.T, s Store, users ...*auth.User) int {
	t.Helper()
	n, err := s.ImportNewUsers(context.Background(), users)
	authtest.NoError(t, err)
	return n
}

func testRoundTrip(t *testing.T, s Store) {
	ctx := context.Background()
	verified := t0.Add(time.Hour)
	a := newUser("Ann.Old")
	a.Role, a.EmailVerifiedAt, a.UpdatedAt = auth.RoleAdmin, &verified, verified
	a.PasswordHash = "pbkdf2_sha256$1000$J1F53BF7TNz6nxgYvED1oG$EKzJSZH8Czwb37A3ArtfqvgQClxz4WO0d1nI17jsRn8="
	b := newUser("ben")
	authtest.Equal(t, importNew(t, s, a, b), 2)
	authtest.Equal(t, importNew(t, s), 0)

	got, err := s.UserByUsername(ctx, "ann.old")
	authtest.NoError(t, err)
	if got.ID != a.ID || got.Username != "Ann.Old" || got.Email != a.Email || got.PasswordHash != a.PasswordHash ||
		got.Role != auth.RoleAdmin || !got.CreatedAt.Equal(t0) || !got.UpdatedAt.Equal(verified) ||
		got.EmailVerifiedAt == nil || !got.EmailVerifiedAt.Equal(verified) || got.DisabledAt != nil {
		t.Fatalf("stored %+v, imported %+v", got, a)
	}
	got, err = s.UserByEmail(ctx, "ben@example.com")
	authtest.NoError(t, err)
	if got.Role != auth.RoleUser || got.EmailVerifiedAt != nil {
		t.Fatalf("stored %+v", got)
	}
}

// testSkipsStoredUsers: a user whose username (in any case) or email is
// taken is skipped, and the others of the same call are written all the
// same.
func testSkipsStoredUsers(t *testing.T, s Store) {
	ctx := context.Background()
	// Stored by an earlier call, as a previous import leaves it.
	authtest.Equal(t, importNew(t, s, newUser("carol")), 1)
	sameName := authtest.NewUser("CAROL", "other@example.com", t0)
	sameEmail := authtest.NewUser("carla", "carol@example.com", t0)
	fresh := newUser("dave")
	authtest.Equal(t, importNew(t, s, sameName, fresh, sameEmail), 1)
	if _, err := s.UserByUsername(ctx, "dave"); err != nil {
		t.Fatalf("the new user of the call was not written: %v", err)
	}
	for _, who := range []string{"other@example.com", "carla"} {
		u, err := s.UserByEmail(ctx, who)
		if err == nil {
			t.Errorf("%s was written: %+v", who, u)
		}
		if u, err := s.UserByUsername(ctx, who); err == nil {
			t.Errorf("%s was written: %+v", who, u)
		}
	}
	stored, err := s.UserByUsername(ctx, "carol")
	authtest.NoError(t, err)
	authtest.Equal(t, stored.Email, "carol@example.com")
}

// testSkipsDuplicatesInOneCall: the first of two users that collide in one
// call wins; the second is skipped, not an error.
func testSkipsDuplicatesInOneCall(t *testing.T, s Store) {
	ctx := context.Background()
	first, byName := newUser("erin"), authtest.NewUser("ERIN", "erin2@example.com", t0)
	second, byEmail := newUser("fred"), authtest.NewUser("fred2", "fred@example.com", t0)
	authtest.Equal(t, importNew(t, s, first, byName, second, byEmail), 2)
	got, err := s.UserByUsername(ctx, "erin")
	authtest.NoError(t, err)
	authtest.Equal(t, got.ID, first.ID)
	got, err = s.UserByEmail(ctx, "fred@example.com")
	authtest.NoError(t, err)
	authtest.Equal(t, got.ID, second.ID)
}

// testManyRows: more users than one statement carries, with a duplicate
// across statements, in one call.
func testManyRows(t *testing.T, s Store) {
	ctx := context.Background()
	var users []*auth.User
	for i := range 1201 {
		users = append(users, newUser(fmt.Sprintf("user%04d", i)))
	}
	dup := authtest.NewUser("late", users[3].Email, t0)
	users = append(users, dup)
	authtest.Equal(t, importNew(t, s, users...), 1201)
	for _, i := range []int{0, 499, 500, 1000, 1200} {
		if _, err := s.UserByUsername(ctx, users[i].Username); err != nil {
			t.Errorf("user %d: %v", i, err)
		}
	}
	if _, err := s.UserByUsername(ctx, "late"); err == nil {
		t.Error("a duplicate in a later statement was written")
	}
}

func testTaken(t *testing.T, s Store) {
	ctx := context.Background()
	authtest.Equal(t, importNew(t, s, newUser("gina"), newUser("hank")), 2)
	got, err := s.ImportTaken(ctx, []*auth.User{
		authtest.NewUser("GINA", "new1@example.com", t0),
		authtest.NewUser("new2", "hank@example.com", t0),
		authtest.NewUser("new3", "new3@example.com", t0),
		authtest.NewUser("Hank", "gina@example.com", t0),
	})
	authtest.NoError(t, err)
	if want := []bool{true, true, false, true}; !slices.Equal(got, want) {
		t.Fatalf("ImportTaken = %v, want %v", got, want)
	}
	got, err = s.ImportTaken(ctx, nil)
	authtest.NoError(t, err)
	authtest.Equal(t, len(got), 0)
	// Nothing was written.
	if _, err := s.UserByUsername(ctx, "new3"); err == nil {
		t.Error("ImportTaken wrote a user")
	}
}
