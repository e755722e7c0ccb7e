package server

import (
	"log/slog"
	"net/http"
	"time"
)

// recoverPanics turns a panic in a handler into a logged 500, so one bad
// request cannot take the process down.
func recoverPanics(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler { // net/http's way to abort a response; not a bug
				panic(v)
			}
			log.ErrorContext(r.Context(), "panic", "method", r.Method, "path", r.URL.Path, "panic", v)
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusInternalServerError)
			w.Write([]byte(`{"type":"about:blank","title":"Internal Server Error","status":500,"code":"internal"}` + "\n"))
		}()
		next.ServeHTTP(w, r)
	})
}

// logRequests writes one line per request with its status and duration,
// and tells obs, if not nil, of the request too, with the route pattern
// that routed noted. Only the path is logged: query strings and headers
// can carry tokens.
func logRequests(log *slog.Logger, obs RequestObserver, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		took := time.Since(start)
		log.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", sw.status),
			slog.Int64("bytes", sw.bytes),
			slog.Duration("duration", took),
		)
		if obs != nil {
			obs.ObserveRequest(sw.pattern, sw.status, took)
		}
	})
}

// routed wraps the router so that, once it has answered, the pattern that
// matched the request is noted on the response writer for logRequests.
// The ServeMux sets Request.Pattern on the request it is given, and the
// middleware outside never sees that request (pinRequests passes on a
// copy), whereas the response writer is the one logRequests made. The
// pattern is noted even when the handler panics, so that its 500 is
// counted against its route.
//
// A request answered before the router (a CORS preflight, a refused
// cross-origin write) has no pattern, and counts as unmatched.
func routed(mux http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer notePattern(w, r)
		mux.ServeHTTP(w, r)
	})
}

func notePattern(w http.ResponseWriter, r *http.Request) {
	// No route takes CONNECT, and for a CONNECT the ServeMux reports the
	// raw path of its redirect as the pattern: a label any client could
	// choose.
	if r.Method == http.MethodConnect {
		return
	}
	for {
		if sw, ok := w.(*statusWriter); ok {
			sw.pattern = r.Pattern
			return
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return
		}
		w = u.Unwrap()
	}
}

type statusWriter struct {
	http.ResponseWriter
	status      int
	bytes       int64
	wroteHeader bool
	pattern     string // the route that matched (see routed); "" for none
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wroteHeader {
		w.status, w.wroteHeader = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wroteHeader = true
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
