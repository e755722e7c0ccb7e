// Package api is Latchkey's JSON API over HTTP: routes.go lists every
// operation, errors.go maps error codes to statuses in one table, and each
// handler decodes, calls one flow of package auth, and encodes.
package api

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/latchkey/latchkey/internal/auth"
	"github.com/latchkey/latchkey/internal/clientip"
)

// Deps are what the API's handlers need.
type Deps struct {
	Auth     *auth.Service
	Log      *slog.Logger
	ClientIP clientip.Resolver
}

// PrivateUser is a user as the user themself sees it. The password hash has
// no field here, so no handler can leak it by accident.
type PrivateUser struct {
	ID        string    `json:"id"`
	Username  string    `json:"username"`
	Email     string    `json:"email"`
	Role      auth.Role `json:"role"`
	CreatedAt time.Time `json:"created_at"`
}

func privateUser(u *auth.User) PrivateUser {
	return PrivateUser{ID: u.ID, Username: u.Username, Email: u.Email, Role: u.Role, CreatedAt: u.CreatedAt.UTC()}
}

func client(d Deps, r *http.Request) auth.Client {
	return auth.Client{IP: d.ClientIP.IP(r), UserAgent: r.UserAgent()}
}
