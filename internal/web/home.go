package web

import "net/http"

func (s *site) home(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "home", "Latchkey", nil)
}
