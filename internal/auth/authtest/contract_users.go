package authtest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/latchkey/latchkey/internal/auth"
)

// userTests are the contract of the operator's look-ups and changes: the
// list behind `latchkey user list` and the role behind `user role`.
func userTests() []storeTest {
	return []storeTest{
		{"ListUsers", testListUsers},
		{"ListUsersEscapesWildcards", testListUsersEscapes},
		{"ListUsersByPrefixPagedWithLastSeen", testListUsersPaged},
		{"SetRole", testSetRole},
		{"LastAdmin", testLastAdmin},
	}
}

// usernames are the usernames of list, in order.
func usernames(list []*auth.UserOverview) []string {
	names := make([]string, len(list))
	for i, u := range list {
		names[i] = u.Username
	}
	return names
}

func testListUsers(t *testing.T, s auth.Store) {
	ctx := context.Background()
	for i, name := range []string{"Alice", "bob", "carol", "dave"} {
		u := NewUser(name, name+"@example.com", t0.Add(time.Duration(i)*time.Minute))
		if name == "dave" {
			u.Email = "dave@alice.example"
		}
		NoError(t, s.CreateUser(ctx, u, nil))
	}
	tests := []struct {
		name   string
		filter string
		limit  int
		want   []string
	}{
		{"all, newest first", "", 50, []string{"dave", "carol", "bob", "Alice"}},
		{"limited", "", 2, []string{"dave", "carol"}},
		{"by username or email, any case", "ALIC", 50, []string{"dave", "Alice"}},
		{"by email only", "bob@", 50, []string{"bob"}},
		{"none", "zed", 50, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list, err := s.ListUsers(ctx, auth.UserQuery{Match: tt.filter, Limit: tt.limit})
			NoError(t, err)
			if got := usernames(list); !slices.Equal(got, tt.want) {
				t.Fatalf("ListUsers(%q, %d) = %q, want %q", tt.filter, tt.limit, got, tt.want)
			}
		})
	}
	list, err := s.ListUsers(ctx, auth.UserQuery{Match: "carol", Limit: 1})
	NoError(t, err)
	if u := list[0]; u.Email != "carol@example.com" || u.Role != auth.RoleUser || !u.CreatedAt.Equal(t0.Add(2*time.Minute)) || u.PasswordHash == "" {
		t.Fatalf("listed user %+v: want every column", u)
	}
}

// testListUsersEscapes: LIKE's wildcards in the filter match themselves.
func testListUsersEscapes(t *testing.T, s auth.Store) {
	ctx := context.Background()
	for i, name := range []string{"a_b", "axb", "c%d", "cxd", `e\f`, "eef"} {
		NoError(t, s.CreateUser(ctx, NewUser(name, fmt.Sprintf("user%d@example.com", i), t0), nil))
	}
	for filter, want := range map[string]string{"a_b": "a_b", "c%d": "c%d", `e\f`: `e\f`} {
		list, err := s.ListUsers(ctx, auth.UserQuery{Match: filter, Limit: 50})
		NoError(t, err)
		if got := usernames(list); !slices.Equal(got, []string{want}) {
			t.Errorf("ListUsers(%q) = %q, want only %q", filter, got, want)
		}
	}
}

func testSetRole(t *testing.T, s auth.Store) {
	ctx := context.Background()
	u := NewUser("erin", "erin@example.com", t0)
	NoError(t, s.CreateUser(ctx, u, nil))
	other := NewUser("olga", "olga@example.com", t0)
	other.Role = auth.RoleAdmin
	NoError(t, s.CreateUser(ctx, other, nil))
	for _, role := range []auth.Role{auth.RoleAdmin, auth.RoleUser} {
		NoError(t, s.ApplyChange(ctx, auth.Change{UserID: u.ID, At: t0, Role: role}))
		got, err := s.UserByID(ctx, u.ID)
		NoError(t, err)
		Equal(t, got.Role, role)
	}
	if err := s.ApplyChange(ctx, auth.Change{UserID: "nobody", At: t0, Role: auth.RoleAdmin}); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("role of nobody: %v, want ErrNotFound", err)
	}
}

// testLastAdmin: the last active admin cannot be demoted, disabled or
// deleted, and nothing of such a change is written; a disabled admin does
// not count; two admins removing each other at once leave one.
func testLastAdmin(t *testing.T, s auth.Store) {
	ctx := context.Background()
	admin := NewUser("ada", "ada@example.com", t0)
	admin.Role = auth.RoleAdmin
	NoError(t, s.CreateUser(ctx, admin, nil))
	sleeper := NewUser("sleepy", "sleepy@example.com", t0)
	sleeper.Role, sleeper.DisabledAt = auth.RoleAdmin, &t0
	NoError(t, s.CreateUser(ctx, sleeper, nil))
	plain := NewUser("plain", "plain@example.com", t0)
	NoError(t, s.CreateUser(ctx, plain, nil))
	event := func(u *auth.User) auth.Event {
		return auth.Event{ID: uuid.Must(uuid.NewV7()).String(), At: t0, Type: auth.EventUserRoleChanged, UserID: u.ID}
	}

	for name, err := range map[string]error{
		"demote":  s.ApplyChange(ctx, auth.Change{UserID: admin.ID, At: t0, Role: auth.RoleUser, Events: []auth.Event{event(admin)}}),
		"disable": s.ApplyChange(ctx, auth.Change{UserID: admin.ID, At: t0, Disable: true, RevokeSessions: true}),
		"delete":  s.DeleteUser(ctx, admin.ID, event(admin)),
	} {
		if !errors.Is(err, auth.ErrLastAdmin) {
			t.Errorf("%s the last admin: %v, want ErrLastAdmin", name, err)
		}
	}
	got, err := s.UserByID(ctx, admin.ID)
	NoError(t, err)
	if got.Role != auth.RoleAdmin || got.Disabled() {
		t.Fatalf("a refused change was written: %+v", got)
	}
	if events, err := s.ListEvents(ctx, auth.EventQuery{UserID: admin.ID, Limit: 10}); err != nil || len(events) != 0 {
		t.Fatalf("a refused change recorded events: %v, %v", events, err)
	}
	// Others are not guarded.
	NoError(t, s.ApplyChange(ctx, auth.Change{UserID: plain.ID, At: t0, Disable: true}))
	NoError(t, s.ApplyChange(ctx, auth.Change{UserID: sleeper.ID, At: t0, Role: auth.RoleUser}))

	// Two admins demoting each other at once: exactly one wins.
	second := NewUser("bea", "bea@example.com", t0)
	second.Role = auth.RoleAdmin
	NoError(t, s.CreateUser(ctx, second, nil))
	for range 5 {
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, u := range []*auth.User{admin, second} {
			wg.Go(func() { errs[i] = s.ApplyChange(ctx, auth.Change{UserID: u.ID, At: t0, Role: auth.RoleUser}) })
		}
		wg.Wait()
		lost := 0
		for _, err := range errs {
			if errors.Is(err, auth.ErrLastAdmin) {
				lost++
			} else {
				NoError(t, err)
			}
		}
		if lost != 1 {
			t.Fatalf("two admins demoting each other: %v, want exactly one ErrLastAdmin", errs)
		}
		// Both admins again for the next round.
		for _, u := range []*auth.User{admin, second} {
			NoError(t, s.ApplyChange(ctx, auth.Change{UserID: u.ID, At: t0, Role: auth.RoleAdmin}))
		}
	}
}

// testListUsersPaged: the admin's list matches at the start of the
// username or e-mail only, pages follow on exactly (users created at the
// same instant included), and each user comes with when their sessions
// were last used.
func testListUsersPaged(t *testing.T, s auth.Store) {
	ctx := context.Background()
	var want []string
	for i := range 7 {
		u := NewUser(fmt.Sprintf("al%d", i), fmt.Sprintf("al%d@example.com", i), t0.Add(time.Duration(i/2)*time.Minute))
		NoError(t, s.CreateUser(ctx, u, nil))
		want = append([]string{u.Username}, want...)
	}
	NoError(t, s.CreateUser(ctx, NewUser("sal", "sal@example.com", t0), nil)) // "al" inside, not at the start
	// "al" at the start of the e-mail; the newest.
	NoError(t, s.CreateUser(ctx, NewUser("zed", "alpha@example.com", t0.Add(time.Hour)), nil))
	want = append([]string{"zed"}, want...)
	var got []string
	q := auth.UserQuery{Match: "AL", Prefix: true, Limit: 3}
	for range 5 {
		page, err := s.ListUsers(ctx, q)
		NoError(t, err)
		got = append(got, usernames(page)...)
		if len(page) < q.Limit {
			break
		}
		last := page[len(page)-1]
		q.After = &auth.PageCursor{CreatedAt: last.CreatedAt, ID: last.ID}
	}
	EqualSlices(t, got, want)

	u, err := s.UserByUsername(ctx, "al3")
	NoError(t, err)
	for i, at := range []time.Time{t0.Add(time.Hour), t0.Add(3 * time.Hour), t0.Add(2 * time.Hour)} {
		ss, _ := NewSession(u, auth.SessionBrowser, at, "")
		ss.LastSeenAt, ss.TokenHash = at, fmt.Sprintf("al3-%d", i)
		NoError(t, s.CreateSession(ctx, ss, nil))
	}
	page, err := s.ListUsers(ctx, auth.UserQuery{Match: "al", Prefix: true, Limit: 10})
	NoError(t, err)
	for _, o := range page {
		switch {
		case o.Username == "al3" && (o.LastSeenAt == nil || !o.LastSeenAt.Equal(t0.Add(3*time.Hour))):
			t.Errorf("al3 last seen %v, want its newest session's", o.LastSeenAt)
		case o.Username != "al3" && o.LastSeenAt != nil:
			t.Errorf("%s never logged in, but was last seen %v", o.Username, o.LastSeenAt)
		}
	}

	// One user by id, with the same last seen as in the list.
	one, err := s.ListUsers(ctx, auth.UserQuery{ID: u.ID, Limit: 10})
	NoError(t, err)
	EqualSlices(t, usernames(one), []string{"al3"})
	if one[0].LastSeenAt == nil || !one[0].LastSeenAt.Equal(t0.Add(3*time.Hour)) {
		t.Errorf("al3 by id last seen %v, want its newest session's", one[0].LastSeenAt)
	}
	none, err := s.ListUsers(ctx, auth.UserQuery{ID: uuid.NewString(), Limit: 10})
	NoError(t, err)
	EqualSlices(t, usernames(none), []string{})
}
