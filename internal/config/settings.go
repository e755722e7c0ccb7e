package config

import (
	"fmt"
	"log/slog"
	"math"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// setting describes one LATCHKEY_ variable from end to end: its flag, its
// default, how its text becomes a Config field and how the field is shown
// again. Keeping all of it in one row means a setting cannot be loaded but
// missing from `latchkey config`, or get a flag but no validation.
type setting struct {
	name    string // the environment variable; the flag is derived from it
	secret  bool   // no flag (a command line is visible in ps), never echoed, never trimmed
	usage   string // flag help; a `quoted` word names the flag's value
	defText string // the default as flag help shows it

	// def returns the default text, or "" for none. It may read fields set
	// by rows above it.
	def func(c *Config) string
	// parse sets the field from non-empty text, or returns what is wrong.
	// A message never quotes a secret.
	parse func(c *Config, raw string) string
	// show renders the field for Write and for printing a Config; secrets
	// show as the mask.
	show func(c *Config) string
}

// flagName is the kebab-case of the name after LATCHKEY_, so that flags and
// variables cannot drift apart.
func (s *setting) flagName() string {
	return strings.ToLower(strings.ReplaceAll(strings.TrimPrefix(s.name, "LATCHKEY_"), "_", "-"))
}

// logKey is the key a setting gets in a Config's slog group.
func (s *setting) logKey() string {
	return strings.ToLower(strings.TrimPrefix(s.name, "LATCHKEY_"))
}

// Names of the settings that other rows or cross-checks refer to.
const (
	nameAddr         = "LATCHKEY_ADDR"
	nameBaseURL      = "LATCHKEY_BASE_URL"
	nameCookieDomain = "LATCHKEY_COOKIE_DOMAIN"
	nameMetricsAddr  = "LATCHKEY_METRICS_ADDR"
	nameAccessTTL    = "LATCHKEY_ACCESS_TOKEN_TTL"
	nameRefreshTTL   = "LATCHKEY_REFRESH_TOKEN_TTL"
	nameIdleTTL      = "LATCHKEY_SESSION_IDLE_TTL"
	nameAbsoluteTTL  = "LATCHKEY_SESSION_ABSOLUTE_TTL"
	nameJWTAlg       = "LATCHKEY_JWT_ALG"
	nameJWTSecret    = "LATCHKEY_JWT_SECRET"
)

// settings is every setting, in the order of Config's fields, which is also
// the order of Write's lines and of the problems in an Error. The mail
// settings come last, from mailsettings.go.
var settings = append([]setting{
	{
		name: nameAddr, usage: "`host:port` to listen on", defText: "localhost:8080",
		def:   fixed("localhost:8080"),
		parse: parseAddr,
		show:  func(c *Config) string { return c.Addr },
	},
	{
		name: nameBaseURL, usage: "public `URL` of this server: token issuer, root of built links; https:// turns on Secure cookies",
		defText: "http:// and the listen address",
		def:     defaultBaseURL,
		parse:   parseBaseURL,
		show: func(c *Config) string {
			if c.BaseURL == nil {
				return ""
			}
			return c.BaseURL.String()
		},
	},
	{
		name: "LATCHKEY_DATABASE_URL", usage: "sqlite:PATH or postgres://… `URL` of the database", defText: "sqlite:./data/latchkey.db",
		def:   fixed(DefaultDatabaseURL),
		parse: parseDatabaseURL,
		show:  func(c *Config) string { return redactDatabaseURL(c.DatabaseURL) },
	},
	{
		name: "LATCHKEY_DATABASE_MAX_CONNS", usage: "PostgreSQL connections each instance may open (`connections`)", defText: "20",
		def:   fixed("20"),
		parse: intIn(1, 1000, func(c *Config, n int) { c.DatabaseMaxConns = n }),
		show:  func(c *Config) string { return strconv.Itoa(c.DatabaseMaxConns) },
	},
	{
		name: "LATCHKEY_DATABASE_TIMEOUT", usage: "longest wait (a `duration`) for one database call before the request is answered 503", defText: "5s",
		// At most 30s: a request that gives up on the database after it,
		// and waited the longest LATCHKEY_HASH_QUEUE_TIMEOUT (30s) as well,
		// still has its 503 written before the server's write timeout
		// (a minute, see cmd/latchkey's serve).
		def:   fixed("5s"),
		parse: durationIn(1, 30*time.Second, "more than 0 and at most 30s", "5s or 500ms", func(c *Config, d time.Duration) { c.DatabaseTimeout = d }),
		show:  func(c *Config) string { return c.DatabaseTimeout.String() },
	},
	{
		name: "LATCHKEY_RATE_LIMIT_PER_IP", usage: "login and registration `attempts` per minute per client IP; 0 turns the limit off", defText: "60",
		def: fixed("60"),
		parse: func(c *Config, raw string) string {
			n, err := strconv.Atoi(raw)
			if err != nil || n < 0 {
				return fmt.Sprintf("%q is not a whole number of 0 or more (0 turns the limit off)", raw)
			}
			c.RateLimitPerIP = n
			return ""
		},
		show: func(c *Config) string { return strconv.Itoa(c.RateLimitPerIP) },
	},
	{
		name: "LATCHKEY_TRUSTED_PROXIES", usage: "comma-separated `CIDRs` of proxies whose X-Forwarded-For is believed", defText: "none",
		def:   fixed(""),
		parse: parseTrustedProxies,
		show: func(c *Config) string {
			s := make([]string, len(c.TrustedProxies))
			for i, p := range c.TrustedProxies {
				s[i] = p.String()
			}
			return strings.Join(s, ",")
		},
	},
	{
		name: "LATCHKEY_HASH_CONCURRENCY", usage: "password hashes computed at once (`slots` of the hashing pool)", defText: "the number of CPUs",
		def:   func(*Config) string { return strconv.Itoa(min(max(runtime.NumCPU(), 1), MaxHashConcurrency)) },
		parse: intIn(1, MaxHashConcurrency, func(c *Config, n int) { c.HashConcurrency = n }),
		show:  func(c *Config) string { return strconv.Itoa(c.HashConcurrency) },
	},
	{
		name: "LATCHKEY_HASH_QUEUE_TIMEOUT", usage: "how long (a `duration`) a login waits for a hashing slot before it is answered 503", defText: "500ms",
		// Half a second, so that a login refused for want of a slot has
		// its 503 within a second (DESIGN.md, "Performance budgets").
		def:   fixed("500ms"),
		parse: durationIn(1, 30*time.Second, "more than 0 and at most 30s", "500ms or 2s", func(c *Config, d time.Duration) { c.HashQueueTimeout = d }),
		show:  func(c *Config) string { return c.HashQueueTimeout.String() },
	},
	{
		name: "LATCHKEY_ARGON2_MEMORY_KIB", usage: "argon2id memory per hash, in `KiB`", defText: "19456",
		def:   fixed("19456"),
		parse: intIn(1024, 262144, func(c *Config, n int) { c.Argon2MemoryKiB = uint32(n) }),
		show:  func(c *Config) string { return strconv.FormatUint(uint64(c.Argon2MemoryKiB), 10) },
	},
	{
		name: "LATCHKEY_ARGON2_TIME", usage: "argon2id `passes` over memory", defText: "2",
		def:   fixed("2"),
		parse: intIn(1, 16, func(c *Config, n int) { c.Argon2Time = uint32(n) }),
		show:  func(c *Config) string { return strconv.FormatUint(uint64(c.Argon2Time), 10) },
	},
	{
		name: "LATCHKEY_ARGON2_THREADS", usage: "argon2id `lanes` per hash", defText: "1",
		def:   fixed("1"),
		parse: intIn(1, 16, func(c *Config, n int) { c.Argon2Threads = uint8(n) }),
		show:  func(c *Config) string { return strconv.FormatUint(uint64(c.Argon2Threads), 10) },
	},
	{
		name: "LATCHKEY_PASSWORD_MIN_LENGTH", usage: "fewest `characters` in a new password (NIST asks 15 for password-only login)", defText: "8",
		def:   fixed("8"),
		parse: intIn(8, 256, func(c *Config, n int) { c.PasswordMinLength = n }),
		show:  func(c *Config) string { return strconv.Itoa(c.PasswordMinLength) },
	},
	{
		name: nameAccessTTL, usage: "access token `lifetime`", defText: "15m",
		def:   fixed("15m"),
		parse: durationIn(time.Minute, 24*time.Hour, "from 1m to 24h", "15m or 1h", func(c *Config, d time.Duration) { c.AccessTokenTTL = d }),
		show:  func(c *Config) string { return c.AccessTokenTTL.String() },
	},
	{
		name: nameRefreshTTL, usage: "refresh token `lifetime`; longer than an access token, at most the session's absolute lifetime", defText: "168h",
		def:   fixed("168h"),
		parse: durationIn(1, math.MaxInt64, "more than 0", "168h or 24h", func(c *Config, d time.Duration) { c.RefreshTokenTTL = d }),
		show:  func(c *Config) string { return c.RefreshTokenTTL.String() },
	},
	{
		name: nameIdleTTL, usage: "a session unused for this `long` ends", defText: "168h",
		def:   fixed("168h"),
		parse: durationIn(time.Minute, math.MaxInt64, "of at least 1m", "12h or 168h", func(c *Config, d time.Duration) { c.SessionIdleTTL = d }),
		show:  func(c *Config) string { return c.SessionIdleTTL.String() },
	},
	{
		name: nameAbsoluteTTL, usage: "a session ends this `long` after login, however busy", defText: "720h",
		def:   fixed("720h"),
		parse: durationIn(time.Minute, math.MaxInt64, "of at least 1m", "720h", func(c *Config, d time.Duration) { c.SessionAbsoluteTTL = d }),
		show:  func(c *Config) string { return c.SessionAbsoluteTTL.String() },
	},
	{
		name: nameJWTAlg, usage: "access token signing `algorithm`: ES256, EdDSA or HS256 (HS256 needs LATCHKEY_JWT_SECRET)", defText: "ES256",
		def: fixed("ES256"),
		parse: func(c *Config, raw string) string {
			switch raw {
			case "ES256", "EdDSA", "HS256":
				c.JWTAlg = raw
				return ""
			}
			return fmt.Sprintf("%q is not supported: must be ES256, EdDSA or HS256, spelled exactly so", raw)
		},
		show: func(c *Config) string { return c.JWTAlg },
	},
	{
		name: nameJWTSecret, secret: true,
		def: fixed(""),
		// Its length is checked with LATCHKEY_JWT_ALG, as it only matters
		// for HS256.
		parse: func(c *Config, raw string) string { c.JWTSecret = Secret(raw); return "" },
		show:  func(c *Config) string { return showSecret(c.JWTSecret) },
	},
	{
		name: "LATCHKEY_MASTER_KEY", secret: true,
		def: fixed(""),
		parse: func(c *Config, raw string) string {
			// Surrounding space cannot be part of hex or base64, and a key
			// pasted from a file often carries a newline.
			key := strings.TrimSpace(raw)
			if _, ok := decodeMasterKey(key); !ok {
				return "must be 32 bytes written as 64 hex digits or base64 (make one with: openssl rand -hex 32)"
			}
			c.MasterKey = Secret(key)
			return ""
		},
		show: func(c *Config) string { return showSecret(c.MasterKey) },
	},
	{
		name: "LATCHKEY_JWKS_MAX_AGE", usage: "how `long` verifiers may cache the JWKS; a rotated key is published that long before it signs", defText: "5m",
		// At least a second: the signing key manager reads zero as its
		// default. At most a day: a rotation waits this long to sign.
		def:   fixed("5m"),
		parse: durationIn(time.Second, 24*time.Hour, "from 1s to 24h", "5m or 1h", func(c *Config, d time.Duration) { c.JWKSMaxAge = d }),
		show:  func(c *Config) string { return c.JWKSMaxAge.String() },
	},
	{
		name: "LATCHKEY_AUDIT_RETENTION", usage: "how `long` audit events are kept", defText: "2160h (90 days)",
		// At least an hour: the purge runs every minute, and a shorter
		// log would be gone before anyone looked at it.
		def:   fixed("2160h"),
		parse: durationIn(time.Hour, 100*365*24*time.Hour, "from 1h to 876000h (100 years)", "2160h or 8760h", func(c *Config, d time.Duration) { c.AuditRetention = d }),
		show:  func(c *Config) string { return c.AuditRetention.String() },
	},
	{
		name: "LATCHKEY_CORS_ORIGINS", usage: "comma-separated `origins` (scheme://host[:port]) of apps allowed to call the API from a browser", defText: "none",
		def:   fixed(""),
		parse: parseCORSOrigins,
		show:  func(c *Config) string { return strings.Join(c.CORSOrigins, ",") },
	},
	{
		name: nameCookieDomain, usage: "`domain` (like example.com) whose hosts all receive the session cookie, for forward authentication", defText: "none (the base URL's host only)",
		def:   fixed(""),
		parse: parseCookieDomain,
		show:  func(c *Config) string { return c.CookieDomain },
	},
	{
		name: "LATCHKEY_FORWARD_AUTH_HOSTS", usage: "comma-separated `hosts` (like app.example.com or app.example.com:8443) a browser may be sent back to after logging in, besides the base URL's", defText: "none",
		def:   fixed(""),
		parse: parseForwardAuthHosts,
		show: func(c *Config) string {
			s := make([]string, len(c.ForwardAuthHosts))
			for i, h := range c.ForwardAuthHosts {
				s[i] = h.String()
			}
			return strings.Join(s, ",")
		},
	},
	{
		name: "LATCHKEY_INTROSPECTION_CLIENTS", secret: true,
		def:   fixed(""),
		parse: parseIntrospectionClients,
		show: func(c *Config) string {
			if len(c.IntrospectionClients) > 0 {
				return mask
			}
			return ""
		},
	},
	{
		name: "LATCHKEY_LOG_LEVEL", usage: "least severe `level` logged: debug, info, warn or error", defText: "info",
		def: fixed("info"),
		parse: func(c *Config, raw string) string {
			levels := map[string]slog.Level{
				"debug": slog.LevelDebug, "info": slog.LevelInfo,
				"warn": slog.LevelWarn, "error": slog.LevelError,
			}
			level, ok := levels[strings.ToLower(raw)]
			if !ok {
				return fmt.Sprintf("%q is not a level: must be debug, info, warn or error", raw)
			}
			c.LogLevel = level
			return ""
		},
		show: func(c *Config) string { return strings.ToLower(c.LogLevel.String()) },
	},
	{
		name: nameMetricsAddr, usage: "`host:port` of a listener for GET /metrics (Prometheus), apart from the public one", defText: "none (no metrics)",
		def: fixed(""),
		parse: func(c *Config, raw string) string {
			if !validAddr(raw) {
				return fmt.Sprintf("%q is not a listen address like 127.0.0.1:9090 or :9090", raw)
			}
			c.MetricsAddr = raw
			return ""
		},
		show: func(c *Config) string { return c.MetricsAddr },
	},
}, mailSettings...)

// fixed is a default that does not depend on other settings.
func fixed(text string) func(*Config) string {
	return func(*Config) string { return text }
}

// showSecret shows whether a secret is set, never what it is.
func showSecret(s Secret) string {
	if s.IsSet() {
		return mask
	}
	return ""
}
