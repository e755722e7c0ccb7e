package api

import (
	"net/http"

	"github.com/latchkey/latchkey/internal/auth"
)

type registerRequest struct {
	Username string `json:"username"`
	Email    string `json:"email"`
	Password string `json:"password"`
}

// handleRegister creates an account: 201 with the private user, 409 on a
// taken username or email, 422 with every invalid field.
func handleRegister(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req registerRequest
		if err := decode(w, r, &req); err != nil {
			writeError(w, r, d.Log, err)
			return
		}
		u, err := d.Auth.Register(r.Context(), auth.Registration{Username: req.Username, Email: req.Email, Password: req.Password}, client(d, r))
		if err != nil {
			writeError(w, r, d.Log, err)
			return
		}
		w.Header().Set("Location", "/api/users/"+u.ID)
		writeJSON(w, http.StatusCreated, "application/json", privateUser(u))
	})
}
