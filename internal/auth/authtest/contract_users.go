package authtest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/auth"
)

// userTests are the contract of the operator's look-ups and changes: the
// list behind `latchkey user list` and the role behind `user role`.
func userTests() []storeTest {
	return []storeTest{
		{"ListUsers", testListUsers},
		{"ListUsersEscapesWildcards", testListUsersEscapes},
		{"SetRole", testSetRole},
	}
}

// usernames are the usernames of list, in order.
func usernames(list []*auth.User) []string {
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
		NoError(t, s.CreateUser(ctx, u))
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
			list, err := s.ListUsers(ctx, tt.filter, tt.limit)
			NoError(t, err)
			if got := usernames(list); !slices.Equal(got, tt.want) {
				t.Fatalf("ListUsers(%q, %d) = %q, want %q", tt.filter, tt.limit, got, tt.want)
			}
		})
	}
	list, err := s.ListUsers(ctx, "carol", 1)
	NoError(t, err)
	if u := list[0]; u.Email != "carol@example.com" || u.Role != auth.RoleUser || !u.CreatedAt.Equal(t0.Add(2*time.Minute)) || u.PasswordHash == "" {
		t.Fatalf("listed user %+v: want every column", u)
	}
}

// testListUsersEscapes: LIKE's wildcards in the filter match themselves.
func testListUsersEscapes(t *testing.T, s auth.Store) {
	ctx := context.Background()
	for i, name := range []string{"a_b", "axb", "c%d", "cxd", `e\f`, "eef"} {
		NoError(t, s.CreateUser(ctx, NewUser(name, fmt.Sprintf("user%d@example.com", i), t0)))
	}
	for filter, want := range map[string]string{"a_b": "a_b", "c%d": "c%d", `e\f`: `e\f`} {
		list, err := s.ListUsers(ctx, filter, 50)
		NoError(t, err)
		if got := usernames(list); !slices.Equal(got, []string{want}) {
			t.Errorf("ListUsers(%q) = %q, want only %q", filter, got, want)
		}
	}
}

func testSetRole(t *testing.T, s auth.Store) {
	ctx := context.Background()
	u := NewUser("erin", "erin@example.com", t0)
	NoError(t, s.CreateUser(ctx, u))
	for _, role := range []auth.Role{auth.RoleAdmin, auth.RoleUser} {
		NoError(t, s.SetRole(ctx, u.ID, role))
		got, err := s.UserByID(ctx, u.ID)
		NoError(t, err)
		Equal(t, got.Role, role)
	}
	if err := s.SetRole(ctx, "nobody", auth.RoleAdmin); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("SetRole of nobody: %v, want ErrNotFound", err)
	}
}
