// Package config turns Latchkey's settings, given as command-line flags,
// LATCHKEY_* environment variables or a .env file, into one typed Config.
//
// It exists so that every other package receives values that are already
// parsed and checked: a bad setting stops the start-up with one message that
// lists every problem, instead of surfacing as a strange failure at the
// first login. It never reads the process environment or arguments itself
// (the caller passes getenv and a parsed flag.FlagSet), which keeps it
// testable and keeps main the only place that touches os.
package config

import (
	"encoding/base64"
	"encoding/hex"
	"log/slog"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/latchkey/latchkey/internal/hosts"
)

// MaxHashConcurrency bounds LATCHKEY_HASH_CONCURRENCY. Each slot may hold
// one hash's memory, and slots beyond the number of cores add memory and
// no speed: 256 leaves room for the largest machines without letting a
// typo reserve gigabytes.
const MaxHashConcurrency = 256

// Config holds every setting, typed and validated, so that the rest of
// Latchkey never parses a string or re-checks a range. Load is the only
// way to get one that has been validated; the fields are exported so that
// tests can build one by hand.
//
// Printing a Config (fmt, slog) shows the same redacted values as Write,
// so logging it cannot leak a secret or the database password.
type Config struct {
	// Addr is the host:port to listen on (LATCHKEY_ADDR, --addr).
	Addr string
	// BaseURL is the public URL of this server (LATCHKEY_BASE_URL,
	// --base-url): the token issuer and default audience, and the root of
	// every URL Latchkey builds, so redirects never trust the Host header.
	// It is absolute http or https, has no user, query or fragment, and
	// its path has no trailing slash. Its default is http:// and Addr, with
	// localhost for a wildcard host (":8080", "0.0.0.0:8080"); when Addr's
	// port is 0 the default's port is 0 too, and the caller that learns the
	// real port after listening should put it in.
	BaseURL *url.URL
	// DatabaseURL is "sqlite:PATH" or a "postgres://" or "postgresql://"
	// URL (LATCHKEY_DATABASE_URL, --database-url). It may hold a password,
	// so show it only through Write or the Config's own printing.
	DatabaseURL string
	// DatabaseMaxConns bounds each instance's PostgreSQL connection pool
	// (LATCHKEY_DATABASE_MAX_CONNS); several instances share the server's
	// max_connections. SQLite ignores it: it has one writer.
	DatabaseMaxConns int
	// DatabaseTimeout is the longest one database call may take before the
	// request is answered 503 (LATCHKEY_DATABASE_TIMEOUT): a database that
	// accepts connections but does not answer, as after a network
	// partition, must not hold requests (and their connections) for ever.
	DatabaseTimeout time.Duration
	// RateLimitPerIP is the number of login and registration attempts a
	// client IP may make per minute; 0 turns the limit off
	// (LATCHKEY_RATE_LIMIT_PER_IP).
	RateLimitPerIP int
	// TrustedProxies are the networks whose X-Forwarded-For is believed
	// (LATCHKEY_TRUSTED_PROXIES); none by default, so a client cannot
	// choose its own IP for the rate limit. A bare address counts as a
	// single-host network; host bits are cleared.
	TrustedProxies []netip.Prefix
	// HashConcurrency is the number of password hashes computed at once
	// (LATCHKEY_HASH_CONCURRENCY), one per CPU by default, which bounds the
	// memory that argon2id can take.
	HashConcurrency int
	// HashQueueTimeout is how long a login waits for a hashing slot before
	// it is answered 503 (LATCHKEY_HASH_QUEUE_TIMEOUT).
	HashQueueTimeout time.Duration
	// Argon2MemoryKiB, Argon2Time and Argon2Threads are the argon2id
	// parameters for new hashes (LATCHKEY_ARGON2_MEMORY_KIB, _TIME,
	// _THREADS); the defaults are the OWASP floor.
	Argon2MemoryKiB uint32
	Argon2Time      uint32
	Argon2Threads   uint8
	// PasswordMinLength is the fewest characters a new password may have
	// (LATCHKEY_PASSWORD_MIN_LENGTH).
	PasswordMinLength int
	// AccessTokenTTL is the lifetime of an access token
	// (LATCHKEY_ACCESS_TOKEN_TTL).
	AccessTokenTTL time.Duration
	// RefreshTokenTTL is the lifetime of a refresh token
	// (LATCHKEY_REFRESH_TOKEN_TTL); longer than an access token, and never
	// longer than a session can live.
	RefreshTokenTTL time.Duration
	// SessionIdleTTL ends a session that has not been used for this long
	// (LATCHKEY_SESSION_IDLE_TTL).
	SessionIdleTTL time.Duration
	// SessionAbsoluteTTL ends a session this long after login, however
	// busy (LATCHKEY_SESSION_ABSOLUTE_TTL); at least SessionIdleTTL.
	SessionAbsoluteTTL time.Duration
	// JWTAlg is the one algorithm access tokens are signed and verified
	// with: "ES256", "EdDSA" or "HS256", spelled exactly so
	// (LATCHKEY_JWT_ALG).
	JWTAlg string
	// JWTSecret is the HS256 key, its bytes as given; required, and at
	// least 32 bytes, only when JWTAlg is HS256 (LATCHKEY_JWT_SECRET, no
	// flag, as other users can read a command line).
	JWTSecret Secret
	// JWKSMaxAge is how long verifiers may cache the JWK Set, its
	// Cache-Control max-age (LATCHKEY_JWKS_MAX_AGE); a rotated key is
	// published that long before it signs.
	JWKSMaxAge time.Duration
	// AuditRetention is how long audit events are kept before the
	// background purge deletes them (LATCHKEY_AUDIT_RETENTION).
	AuditRetention time.Duration
	// MasterKey encrypts private signing keys at rest when set
	// (LATCHKEY_MASTER_KEY, no flag). It is kept as written (64 hex digits
	// or base64); MasterKeyBytes decodes it.
	MasterKey Secret
	// CORSOrigins are the origins of single-page apps allowed to call the
	// API (LATCHKEY_CORS_ORIGINS), in the form browsers send in the Origin
	// header: lower-case "scheme://host[:port]", without a default port.
	CORSOrigins []string
	// CookieDomain, when set, is the Domain of the session cookie
	// (LATCHKEY_COOKIE_DOMAIN), so that the apps on sibling hosts behind
	// forward authentication receive it: a lower-case DNS name that the
	// base URL's host is or ends in (browsers refuse any other). Over
	// HTTPS the cookie is then __Secure-latchkey_session, as a __Host-
	// cookie may not have a Domain.
	CookieDomain string
	// ForwardAuthHosts are the hosts, besides the base URL's, that a
	// browser may be sent back to after logging in: GET /auth/verify's
	// redirect and the login's next (LATCHKEY_FORWARD_AUTH_HOSTS). Each
	// allows its port, or without one the default port of the URL's
	// scheme.
	ForwardAuthHosts []hosts.Host
	// IntrospectionClients are the resource servers that may call token
	// introspection, with HTTP Basic as one of them
	// (LATCHKEY_INTROSPECTION_CLIENTS, no flag: "name:secret,…"); none
	// by default, and then nobody may. Each name is unique.
	IntrospectionClients []IntrospectionClient
	// LogLevel is the least severe level that is logged
	// (LATCHKEY_LOG_LEVEL: debug, info, warn or error).
	LogLevel slog.Level
	// MetricsAddr is the host:port of a second listener that serves only
	// GET /metrics in the Prometheus text format (LATCHKEY_METRICS_ADDR,
	// --metrics-addr); "" (the default) serves no metrics. It is never the
	// public address: the metrics tell the load and the failures of the
	// server, which are for the operator alone.
	MetricsAddr string

	// SMTPURL is the mail server, smtp://[user:pass@]host:port (STARTTLS,
	// required unless the host is a loopback address) or smtps://…
	// (LATCHKEY_SMTP_URL, no flag, as it may hold a password). Without it,
	// mail is written into MailDir.
	SMTPURL Secret
	// MailDir is where messages are written as .eml files when SMTPURL is
	// not set (LATCHKEY_MAIL_DIR), so that a server needs no mail server
	// to run.
	MailDir string
	// MailFrom is the sender of every message (LATCHKEY_MAIL_FROM), an
	// RFC 5322 address; by default "Latchkey <no-reply@HOST>", HOST being
	// BaseURL's host name without the port.
	MailFrom string
	// RequireVerifiedEmail refuses logins and writes to accounts whose
	// address is not verified (LATCHKEY_REQUIRE_VERIFIED_EMAIL).
	RequireVerifiedEmail bool
	// LoginLinks turns on passwordless sign-in links by e-mail
	// (LATCHKEY_LOGIN_LINKS); sites at OWASP ASVS level 3 turn them off,
	// as an inbox is not an authenticator there.
	LoginLinks bool
}

// IntrospectionClient is one of LATCHKEY_INTROSPECTION_CLIENTS: a
// resource server's name (its HTTP Basic user name) and its secret.
type IntrospectionClient struct {
	Name   string
	Secret Secret
}

// sqlitePrefix starts a DatabaseURL that names an SQLite file.
const sqlitePrefix = "sqlite:"

// DefaultDatabaseURL is LATCHKEY_DATABASE_URL's default. Its directory,
// ./data, is the one a database may be opened in without existing first,
// so that `make run` works in a fresh clone; a directory named by the
// operator must exist (a mistyped path should not start an empty database).
const DefaultDatabaseURL = "sqlite:./data/latchkey.db"

// SQLitePath returns the file path of an SQLite DatabaseURL and true, or ""
// and false for PostgreSQL, so that the caller chooses the driver without
// parsing the URL again.
func (c *Config) SQLitePath() (string, bool) {
	path, ok := strings.CutPrefix(c.DatabaseURL, sqlitePrefix)
	if !ok {
		return "", false
	}
	return path, true
}

// MasterKeyBytes returns the 32 bytes of the master key, or nil when none is
// set, so that callers need not know the two ways it may be written. Each
// call returns a new slice, which the caller may clear after use.
func (c *Config) MasterKeyBytes() []byte {
	if !c.MasterKey.IsSet() {
		return nil
	}
	key, ok := decodeMasterKey(c.MasterKey.Reveal())
	if !ok {
		return nil
	}
	return key
}

// masterKeySize is the AES-256 key length the master key must have.
const masterKeySize = 32

// decodeMasterKey reads 32 bytes written as 64 hex digits or as base64
// (standard or URL alphabet, padded or not). The forms cannot be confused:
// 32 bytes take 43 or 44 base64 characters, never 64.
func decodeMasterKey(s string) ([]byte, bool) {
	if len(s) == 2*masterKeySize {
		if key, err := hex.DecodeString(s); err == nil {
			return key, true
		}
	}
	for _, enc := range []*base64.Encoding{
		base64.StdEncoding, base64.RawStdEncoding,
		base64.URLEncoding, base64.RawURLEncoding,
	} {
		if key, err := enc.DecodeString(s); err == nil && len(key) == masterKeySize {
			return key, true
		}
	}
	return nil, false
}
