package api

import "net/http"

// Routes registers every API operation on mux.
func Routes(mux *http.ServeMux, d Deps) {
	mux.Handle("POST /api/users", handleRegister(d))
}
