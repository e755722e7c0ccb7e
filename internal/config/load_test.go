package config

import (
	"flag"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/hosts"
)

func TestLoadDefaults(t *testing.T) {
	// No .env here, so the missing default file must be fine.
	t.Chdir(t.TempDir())

	loaders := []struct {
		name string
		load func() (*Config, error)
	}{
		{"no flags, nil getenv", func() (*Config, error) { return Load(nil, nil) }},
		{"no flags, empty environment", func() (*Config, error) {
			return Load(nil, func(string) string { return "" })
		}},
		{"flags registered, none given", func() (*Config, error) {
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			f := NewFlags(fs)
			if err := fs.Parse(nil); err != nil {
				return nil, err
			}
			return Load(f, func(string) string { return "" })
		}},
	}
	for _, l := range loaders {
		t.Run(l.name, func(t *testing.T) {
			c, err := l.load()
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			path, isSQLite := c.SQLitePath()
			checks := []struct {
				name      string
				got, want any
			}{
				{"Addr", c.Addr, "localhost:8080"},
				{"BaseURL", c.BaseURL.String(), "http://localhost:8080"},
				{"DatabaseURL", c.DatabaseURL, "sqlite:./data/latchkey.db"},
				{"SQLitePath", path, "./data/latchkey.db"},
				{"SQLitePath ok", isSQLite, true},
				{"RateLimitPerIP", c.RateLimitPerIP, 60},
				{"TrustedProxies", c.TrustedProxies, []netip.Prefix(nil)},
				{"HashConcurrency", c.HashConcurrency, min(runtime.NumCPU(), 256)},
				{"HashQueueTimeout", c.HashQueueTimeout, 500 * time.Millisecond},
				{"DatabaseTimeout", c.DatabaseTimeout, 5 * time.Second},
				{"Argon2MemoryKiB", c.Argon2MemoryKiB, uint32(19456)},
				{"Argon2Time", c.Argon2Time, uint32(2)},
				{"Argon2Threads", c.Argon2Threads, uint8(1)},
				{"PasswordMinLength", c.PasswordMinLength, 8},
				{"AccessTokenTTL", c.AccessTokenTTL, 15 * time.Minute},
				{"RefreshTokenTTL", c.RefreshTokenTTL, 7 * 24 * time.Hour},
				{"SessionIdleTTL", c.SessionIdleTTL, 7 * 24 * time.Hour},
				{"SessionAbsoluteTTL", c.SessionAbsoluteTTL, 30 * 24 * time.Hour},
				{"JWTAlg", c.JWTAlg, "ES256"},
				{"JWTSecret set", c.JWTSecret.IsSet(), false},
				{"MasterKey set", c.MasterKey.IsSet(), false},
				{"MasterKeyBytes", c.MasterKeyBytes(), []byte(nil)},
				{"JWKSMaxAge", c.JWKSMaxAge, 5 * time.Minute},
				{"CORSOrigins", c.CORSOrigins, []string(nil)},
				{"CookieDomain", c.CookieDomain, ""},
				{"ForwardAuthHosts", c.ForwardAuthHosts, []hosts.Host(nil)},
				{"LogLevel", c.LogLevel, slog.LevelInfo},
				{"SMTPURL set", c.SMTPURL.IsSet(), false},
				{"MailDir", c.MailDir, "./data/mail"},
				{"MailFrom", c.MailFrom, "Latchkey <no-reply@localhost>"},
				{"RequireVerifiedEmail", c.RequireVerifiedEmail, false},
				{"LoginLinks", c.LoginLinks, true},
			}
			for _, ch := range checks {
				if !reflect.DeepEqual(ch.got, ch.want) {
					t.Errorf("%s = %#v, want %#v", ch.name, ch.got, ch.want)
				}
			}
		})
	}
}

func TestLoadPrecedence(t *testing.T) {
	tests := []struct {
		name string
		file string
		env  string
		flag []string
		want string
	}{
		{name: "default", want: "localhost:8080"},
		{name: "env file over default", file: "LATCHKEY_ADDR=file:1\n", want: "file:1"},
		{name: "environment over env file", file: "LATCHKEY_ADDR=file:1\n", env: "env:2", want: "env:2"},
		{name: "flag over environment", file: "LATCHKEY_ADDR=file:1\n", env: "env:2", flag: []string{"--addr", "flag:3"}, want: "flag:3"},
		{name: "flag over env file", file: "LATCHKEY_ADDR=file:1\n", flag: []string{"--addr=flag:3"}, want: "flag:3"},
		{name: "empty flag falls through", file: "LATCHKEY_ADDR=file:1\n", env: "env:2", flag: []string{"--addr="}, want: "env:2"},
		{name: "empty env file value falls through", file: "LATCHKEY_ADDR=\n", want: "localhost:8080"},
		{name: "space around a value is trimmed", env: "  env:2\t", want: "env:2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"--env-file", writeFile(t, tt.file)}, tt.flag...)
			c := mustLoad(t, map[string]string{"LATCHKEY_ADDR": tt.env}, args...)
			if c.Addr != tt.want {
				t.Errorf("Addr = %q, want %q", c.Addr, tt.want)
			}
		})
	}
}

// clientSecret is an introspection client secret of the least length
// accepted.
const clientSecret = "0123456789abcdef"

func TestLoadInvalid(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		setting string
		message string // a part of the message
	}{
		{name: "addr without port", env: map[string]string{"LATCHKEY_ADDR": "localhost"}, setting: "LATCHKEY_ADDR", message: `"localhost" is not a listen address`},
		{name: "addr named port", env: map[string]string{"LATCHKEY_ADDR": "localhost:http"}, setting: "LATCHKEY_ADDR"},
		{name: "addr port too big", env: map[string]string{"LATCHKEY_ADDR": ":70000"}, setting: "LATCHKEY_ADDR"},
		{name: "metrics addr without port", env: map[string]string{"LATCHKEY_METRICS_ADDR": "127.0.0.1"}, setting: "LATCHKEY_METRICS_ADDR", message: `"127.0.0.1" is not a listen address like 127.0.0.1:9090`},
		{name: "metrics addr from a flag", args: []string{"--metrics-addr", "localhost:metrics"}, setting: "LATCHKEY_METRICS_ADDR", message: "(from --metrics-addr)"},
		{name: "metrics addr is the public one", env: map[string]string{"LATCHKEY_ADDR": "0.0.0.0:8080", "LATCHKEY_METRICS_ADDR": "0.0.0.0:8080"},
			setting: "LATCHKEY_METRICS_ADDR", message: "never on the public address"},
		{name: "metrics addr is the default public one", env: map[string]string{"LATCHKEY_METRICS_ADDR": "localhost:8080"},
			setting: "LATCHKEY_METRICS_ADDR", message: "LATCHKEY_ADDR is localhost:8080 too"},

		{name: "base url without scheme", env: map[string]string{"LATCHKEY_BASE_URL": "auth.example.com"}, setting: "LATCHKEY_BASE_URL", message: "must start with http:// or https://"},
		{name: "base url scheme", env: map[string]string{"LATCHKEY_BASE_URL": "ftp://auth.example.com"}, setting: "LATCHKEY_BASE_URL"},
		{name: "base url relative", env: map[string]string{"LATCHKEY_BASE_URL": "/auth"}, setting: "LATCHKEY_BASE_URL"},
		{name: "base url without host", env: map[string]string{"LATCHKEY_BASE_URL": "https://"}, setting: "LATCHKEY_BASE_URL", message: "has no host"},
		{name: "base url port only", env: map[string]string{"LATCHKEY_BASE_URL": "https://:8443"}, setting: "LATCHKEY_BASE_URL"},
		{name: "base url opaque", env: map[string]string{"LATCHKEY_BASE_URL": "http:auth.example.com"}, setting: "LATCHKEY_BASE_URL"},
		{name: "base url query", env: map[string]string{"LATCHKEY_BASE_URL": "https://auth.example.com/?a=1"}, setting: "LATCHKEY_BASE_URL", message: "query"},
		{name: "base url empty query", env: map[string]string{"LATCHKEY_BASE_URL": "https://auth.example.com/?"}, setting: "LATCHKEY_BASE_URL"},
		{name: "base url fragment", env: map[string]string{"LATCHKEY_BASE_URL": "https://auth.example.com/#top"}, setting: "LATCHKEY_BASE_URL"},
		{name: "base url empty fragment", env: map[string]string{"LATCHKEY_BASE_URL": "https://auth.example.com/#"}, setting: "LATCHKEY_BASE_URL"},
		{name: "base url user", env: map[string]string{"LATCHKEY_BASE_URL": "https://admin:hunter2@auth.example.com"}, setting: "LATCHKEY_BASE_URL", message: "user name or password"},
		{name: "base url unparsable", env: map[string]string{"LATCHKEY_BASE_URL": "http://[::1"}, setting: "LATCHKEY_BASE_URL", message: "is not a URL"},

		{name: "database other scheme", env: map[string]string{"LATCHKEY_DATABASE_URL": "mysql://root:pw@db/latchkey"}, setting: "LATCHKEY_DATABASE_URL", message: "must be sqlite:PATH"},
		{name: "database key=value form", env: map[string]string{"LATCHKEY_DATABASE_URL": "host=db dbname=latchkey"}, setting: "LATCHKEY_DATABASE_URL"},
		{name: "database scheme case", env: map[string]string{"LATCHKEY_DATABASE_URL": "Postgres://db/latchkey"}, setting: "LATCHKEY_DATABASE_URL"},
		{name: "database sqlite without path", env: map[string]string{"LATCHKEY_DATABASE_URL": "sqlite:"}, setting: "LATCHKEY_DATABASE_URL", message: "needs a file path"},
		{name: "database sqlite with slashes", env: map[string]string{"LATCHKEY_DATABASE_URL": "sqlite://latchkey.db"}, setting: "LATCHKEY_DATABASE_URL", message: "without //"},
		{name: "database postgres bad escape", env: map[string]string{"LATCHKEY_DATABASE_URL": "postgres://u:p%zz@db/latchkey"}, setting: "LATCHKEY_DATABASE_URL", message: "percent-encode"},

		{name: "rate limit negative", env: map[string]string{"LATCHKEY_RATE_LIMIT_PER_IP": "-1"}, setting: "LATCHKEY_RATE_LIMIT_PER_IP", message: `"-1" is not a whole number of 0 or more`},
		{name: "rate limit fraction", env: map[string]string{"LATCHKEY_RATE_LIMIT_PER_IP": "1.5"}, setting: "LATCHKEY_RATE_LIMIT_PER_IP"},
		{name: "rate limit word", env: map[string]string{"LATCHKEY_RATE_LIMIT_PER_IP": "off"}, setting: "LATCHKEY_RATE_LIMIT_PER_IP"},

		{name: "proxies bad bits", env: map[string]string{"LATCHKEY_TRUSTED_PROXIES": "10.0.0.0/33"}, setting: "LATCHKEY_TRUSTED_PROXIES", message: `"10.0.0.0/33" is not a CIDR`},
		{name: "proxies one bad of two", env: map[string]string{"LATCHKEY_TRUSTED_PROXIES": "10.0.0.0/8, proxy.local"}, setting: "LATCHKEY_TRUSTED_PROXIES", message: `"proxy.local"`},
		{name: "proxies zone", env: map[string]string{"LATCHKEY_TRUSTED_PROXIES": "fe80::1%eth0"}, setting: "LATCHKEY_TRUSTED_PROXIES"},

		{name: "hash concurrency zero", env: map[string]string{"LATCHKEY_HASH_CONCURRENCY": "0"}, setting: "LATCHKEY_HASH_CONCURRENCY", message: "from 1 to 256"},
		{name: "hash concurrency too many", env: map[string]string{"LATCHKEY_HASH_CONCURRENCY": "257"}, setting: "LATCHKEY_HASH_CONCURRENCY"},

		{name: "queue timeout zero", env: map[string]string{"LATCHKEY_HASH_QUEUE_TIMEOUT": "0"}, setting: "LATCHKEY_HASH_QUEUE_TIMEOUT", message: "more than 0 and at most 30s"},
		{name: "queue timeout negative", env: map[string]string{"LATCHKEY_HASH_QUEUE_TIMEOUT": "-1s"}, setting: "LATCHKEY_HASH_QUEUE_TIMEOUT"},
		{name: "queue timeout too long", env: map[string]string{"LATCHKEY_HASH_QUEUE_TIMEOUT": "31s"}, setting: "LATCHKEY_HASH_QUEUE_TIMEOUT"},
		{name: "queue timeout without unit", env: map[string]string{"LATCHKEY_HASH_QUEUE_TIMEOUT": "5"}, setting: "LATCHKEY_HASH_QUEUE_TIMEOUT"},

		{name: "database timeout zero", env: map[string]string{"LATCHKEY_DATABASE_TIMEOUT": "0"}, setting: "LATCHKEY_DATABASE_TIMEOUT", message: "more than 0 and at most 30s"},
		{name: "database timeout negative", env: map[string]string{"LATCHKEY_DATABASE_TIMEOUT": "-1s"}, setting: "LATCHKEY_DATABASE_TIMEOUT"},
		{name: "database timeout too long", env: map[string]string{"LATCHKEY_DATABASE_TIMEOUT": "31s"}, setting: "LATCHKEY_DATABASE_TIMEOUT"},
		{name: "database timeout without unit", env: map[string]string{"LATCHKEY_DATABASE_TIMEOUT": "5"}, setting: "LATCHKEY_DATABASE_TIMEOUT"},
		{name: "JWKS max age zero", env: map[string]string{"LATCHKEY_JWKS_MAX_AGE": "0s"}, setting: "LATCHKEY_JWKS_MAX_AGE", message: "from 1s to 24h"},
		{name: "JWKS max age too long", env: map[string]string{"LATCHKEY_JWKS_MAX_AGE": "25h"}, setting: "LATCHKEY_JWKS_MAX_AGE"},
		{name: "JWKS max age without unit", env: map[string]string{"LATCHKEY_JWKS_MAX_AGE": "300"}, setting: "LATCHKEY_JWKS_MAX_AGE"},
		{name: "audit retention under an hour", env: map[string]string{"LATCHKEY_AUDIT_RETENTION": "30m"}, setting: "LATCHKEY_AUDIT_RETENTION", message: "from 1h to 876000h"},
		{name: "audit retention in days", env: map[string]string{"LATCHKEY_AUDIT_RETENTION": "90d"}, setting: "LATCHKEY_AUDIT_RETENTION"},

		{name: "argon2 memory too small", env: map[string]string{"LATCHKEY_ARGON2_MEMORY_KIB": "1023"}, setting: "LATCHKEY_ARGON2_MEMORY_KIB", message: "from 1024 to 262144"},
		{name: "argon2 memory too big", env: map[string]string{"LATCHKEY_ARGON2_MEMORY_KIB": "262145"}, setting: "LATCHKEY_ARGON2_MEMORY_KIB"},
		{name: "argon2 memory with unit", env: map[string]string{"LATCHKEY_ARGON2_MEMORY_KIB": "19MiB"}, setting: "LATCHKEY_ARGON2_MEMORY_KIB"},
		{name: "argon2 time word", env: map[string]string{"LATCHKEY_ARGON2_TIME": "abc"}, setting: "LATCHKEY_ARGON2_TIME", message: `"abc" is not a whole number from 1 to 16`},
		{name: "argon2 time zero", env: map[string]string{"LATCHKEY_ARGON2_TIME": "0"}, setting: "LATCHKEY_ARGON2_TIME"},
		{name: "argon2 time too many", env: map[string]string{"LATCHKEY_ARGON2_TIME": "17"}, setting: "LATCHKEY_ARGON2_TIME"},
		{name: "argon2 threads zero", env: map[string]string{"LATCHKEY_ARGON2_THREADS": "0"}, setting: "LATCHKEY_ARGON2_THREADS"},
		{name: "argon2 threads overflowing a byte", env: map[string]string{"LATCHKEY_ARGON2_THREADS": "256"}, setting: "LATCHKEY_ARGON2_THREADS"},

		{name: "password min too short", env: map[string]string{"LATCHKEY_PASSWORD_MIN_LENGTH": "7"}, setting: "LATCHKEY_PASSWORD_MIN_LENGTH", message: "from 8 to 256"},
		{name: "password min too long", env: map[string]string{"LATCHKEY_PASSWORD_MIN_LENGTH": "257"}, setting: "LATCHKEY_PASSWORD_MIN_LENGTH"},

		{name: "access ttl too short", env: map[string]string{"LATCHKEY_ACCESS_TOKEN_TTL": "59s"}, setting: "LATCHKEY_ACCESS_TOKEN_TTL", message: "from 1m to 24h"},
		{name: "access ttl too long", env: map[string]string{"LATCHKEY_ACCESS_TOKEN_TTL": "25h"}, setting: "LATCHKEY_ACCESS_TOKEN_TTL"},
		{name: "access ttl without unit", env: map[string]string{"LATCHKEY_ACCESS_TOKEN_TTL": "900"}, setting: "LATCHKEY_ACCESS_TOKEN_TTL"},

		{name: "refresh ttl zero", env: map[string]string{"LATCHKEY_REFRESH_TOKEN_TTL": "0s"}, setting: "LATCHKEY_REFRESH_TOKEN_TTL"},
		{name: "refresh ttl days", env: map[string]string{"LATCHKEY_REFRESH_TOKEN_TTL": "7d"}, setting: "LATCHKEY_REFRESH_TOKEN_TTL"},
		{name: "refresh ttl shorter than access", env: map[string]string{"LATCHKEY_REFRESH_TOKEN_TTL": "10m"}, setting: "LATCHKEY_REFRESH_TOKEN_TTL", message: "10m must be longer than LATCHKEY_ACCESS_TOKEN_TTL (15m)"},
		{name: "refresh ttl equal to access", env: map[string]string{"LATCHKEY_REFRESH_TOKEN_TTL": "1h", "LATCHKEY_ACCESS_TOKEN_TTL": "1h"}, setting: "LATCHKEY_REFRESH_TOKEN_TTL"},
		{name: "refresh ttl beyond absolute", env: map[string]string{"LATCHKEY_REFRESH_TOKEN_TTL": "721h"}, setting: "LATCHKEY_REFRESH_TOKEN_TTL", message: "at most LATCHKEY_SESSION_ABSOLUTE_TTL (720h)"},

		{name: "idle ttl too short", env: map[string]string{"LATCHKEY_SESSION_IDLE_TTL": "30s"}, setting: "LATCHKEY_SESSION_IDLE_TTL", message: "of at least 1m"},
		{name: "idle ttl word", env: map[string]string{"LATCHKEY_SESSION_IDLE_TTL": "week"}, setting: "LATCHKEY_SESSION_IDLE_TTL"},
		{name: "absolute ttl too short", env: map[string]string{"LATCHKEY_SESSION_ABSOLUTE_TTL": "30s", "LATCHKEY_SESSION_IDLE_TTL": "1m", "LATCHKEY_REFRESH_TOKEN_TTL": "20m"}, setting: "LATCHKEY_SESSION_ABSOLUTE_TTL"},
		{name: "absolute ttl under idle", env: map[string]string{"LATCHKEY_SESSION_ABSOLUTE_TTL": "100h", "LATCHKEY_REFRESH_TOKEN_TTL": "24h"}, setting: "LATCHKEY_SESSION_ABSOLUTE_TTL", message: "100h must be at least LATCHKEY_SESSION_IDLE_TTL (168h)"},

		{name: "jwt alg unknown", env: map[string]string{"LATCHKEY_JWT_ALG": "RS256"}, setting: "LATCHKEY_JWT_ALG", message: "must be ES256, EdDSA or HS256"},
		{name: "jwt alg lower case", env: map[string]string{"LATCHKEY_JWT_ALG": "es256"}, setting: "LATCHKEY_JWT_ALG"},
		{name: "jwt alg none", env: map[string]string{"LATCHKEY_JWT_ALG": "none"}, setting: "LATCHKEY_JWT_ALG"},
		{name: "jwt alg HS512", env: map[string]string{"LATCHKEY_JWT_ALG": "HS512"}, setting: "LATCHKEY_JWT_ALG"},

		{name: "jwt secret missing with HS256", env: map[string]string{"LATCHKEY_JWT_ALG": "HS256"}, setting: "LATCHKEY_JWT_SECRET", message: "is required when LATCHKEY_JWT_ALG is HS256"},
		{name: "jwt secret of 31 bytes with HS256", env: map[string]string{"LATCHKEY_JWT_ALG": "HS256", "LATCHKEY_JWT_SECRET": strings.Repeat("s", 31)}, setting: "LATCHKEY_JWT_SECRET", message: "at least 32 bytes"},

		{name: "master key 31 bytes hex", env: map[string]string{"LATCHKEY_MASTER_KEY": strings.Repeat("ab", 31)}, setting: "LATCHKEY_MASTER_KEY", message: "must be 32 bytes written as 64 hex digits or base64"},
		{name: "master key 31 bytes base64", env: map[string]string{"LATCHKEY_MASTER_KEY": b64(31)}, setting: "LATCHKEY_MASTER_KEY"},
		{name: "master key 33 bytes base64", env: map[string]string{"LATCHKEY_MASTER_KEY": b64(33)}, setting: "LATCHKEY_MASTER_KEY"},
		{name: "master key 63 hex digits", env: map[string]string{"LATCHKEY_MASTER_KEY": strings.Repeat("a", 63)}, setting: "LATCHKEY_MASTER_KEY"},
		{name: "master key 64 non-hex", env: map[string]string{"LATCHKEY_MASTER_KEY": strings.Repeat("g", 64)}, setting: "LATCHKEY_MASTER_KEY"},
		{name: "master key passphrase", env: map[string]string{"LATCHKEY_MASTER_KEY": "correct horse battery staple"}, setting: "LATCHKEY_MASTER_KEY"},

		{name: "cors wildcard", env: map[string]string{"LATCHKEY_CORS_ORIGINS": "*"}, setting: "LATCHKEY_CORS_ORIGINS", message: "list each origin"},
		{name: "cors path", env: map[string]string{"LATCHKEY_CORS_ORIGINS": "https://app.example.com/app"}, setting: "LATCHKEY_CORS_ORIGINS", message: `"https://app.example.com/app" is not an origin`},
		{name: "cors without scheme", env: map[string]string{"LATCHKEY_CORS_ORIGINS": "https://ok.example.com,app.example.com"}, setting: "LATCHKEY_CORS_ORIGINS", message: `"app.example.com"`},
		{name: "cors query", env: map[string]string{"LATCHKEY_CORS_ORIGINS": "https://app.example.com?x=1"}, setting: "LATCHKEY_CORS_ORIGINS"},
		{name: "cors fragment", env: map[string]string{"LATCHKEY_CORS_ORIGINS": "https://app.example.com#x"}, setting: "LATCHKEY_CORS_ORIGINS"},
		{name: "cors user", env: map[string]string{"LATCHKEY_CORS_ORIGINS": "https://u:hunter2@app.example.com"}, setting: "LATCHKEY_CORS_ORIGINS", message: "user name or password"},
		{name: "cors null", env: map[string]string{"LATCHKEY_CORS_ORIGINS": "null"}, setting: "LATCHKEY_CORS_ORIGINS"},

		{name: "cookie domain with a scheme", env: map[string]string{"LATCHKEY_COOKIE_DOMAIN": "https://example.com"}, setting: "LATCHKEY_COOKIE_DOMAIN", message: `"https://example.com" is not a domain like example.com`},
		{name: "cookie domain with a port", env: map[string]string{"LATCHKEY_COOKIE_DOMAIN": "example.com:443"}, setting: "LATCHKEY_COOKIE_DOMAIN"},
		{name: "cookie domain an IP address", env: map[string]string{"LATCHKEY_COOKIE_DOMAIN": "127.0.0.1", "LATCHKEY_BASE_URL": "http://127.0.0.1:8080"}, setting: "LATCHKEY_COOKIE_DOMAIN"},
		{name: "cookie domain an IPv6 address", env: map[string]string{"LATCHKEY_COOKIE_DOMAIN": "[::1]"}, setting: "LATCHKEY_COOKIE_DOMAIN"},
		{name: "cookie domain a wildcard", env: map[string]string{"LATCHKEY_COOKIE_DOMAIN": "*.example.com"}, setting: "LATCHKEY_COOKIE_DOMAIN"},
		{name: "cookie domain beyond ASCII", env: map[string]string{"LATCHKEY_COOKIE_DOMAIN": "b\u00fccher.example"}, setting: "LATCHKEY_COOKIE_DOMAIN"},
		{name: "cookie domain a list", env: map[string]string{"LATCHKEY_COOKIE_DOMAIN": "a.example,b.example"}, setting: "LATCHKEY_COOKIE_DOMAIN"},
		{name: "cookie domain not the base URL's", env: map[string]string{"LATCHKEY_COOKIE_DOMAIN": "example.com", "LATCHKEY_BASE_URL": "https://auth.example.org"},
			setting: "LATCHKEY_COOKIE_DOMAIN", message: "example.com does not contain the base URL's host auth.example.org"},
		{name: "cookie domain a look-alike suffix", env: map[string]string{"LATCHKEY_COOKIE_DOMAIN": "example.com", "LATCHKEY_BASE_URL": "https://auth.badexample.com"},
			setting: "LATCHKEY_COOKIE_DOMAIN", message: "does not contain"},
		{name: "cookie domain below the base URL's host", env: map[string]string{"LATCHKEY_COOKIE_DOMAIN": "auth.example.com", "LATCHKEY_BASE_URL": "https://example.com"},
			setting: "LATCHKEY_COOKIE_DOMAIN", message: "does not contain"},
		{name: "forward-auth host a URL", env: map[string]string{"LATCHKEY_FORWARD_AUTH_HOSTS": "https://app.example.com"}, setting: "LATCHKEY_FORWARD_AUTH_HOSTS", message: "without http:// or https://"},
		{name: "forward-auth host with a path", env: map[string]string{"LATCHKEY_FORWARD_AUTH_HOSTS": "app.example.com/admin"}, setting: "LATCHKEY_FORWARD_AUTH_HOSTS", message: `"app.example.com/admin"`},
		{name: "forward-auth host a wildcard", env: map[string]string{"LATCHKEY_FORWARD_AUTH_HOSTS": "app.example.com,*.example.com"}, setting: "LATCHKEY_FORWARD_AUTH_HOSTS", message: `"*.example.com"`},
		{name: "forward-auth host with a user", env: map[string]string{"LATCHKEY_FORWARD_AUTH_HOSTS": "u@app.example.com"}, setting: "LATCHKEY_FORWARD_AUTH_HOSTS"},
		{name: "forward-auth host port 0", env: map[string]string{"LATCHKEY_FORWARD_AUTH_HOSTS": "app.example.com:0"}, setting: "LATCHKEY_FORWARD_AUTH_HOSTS", message: "not a number from 1 to 65535"},
		{name: "forward-auth host named port", env: map[string]string{"LATCHKEY_FORWARD_AUTH_HOSTS": "app.example.com:https"}, setting: "LATCHKEY_FORWARD_AUTH_HOSTS"},
		{name: "forward-auth host beyond ASCII", env: map[string]string{"LATCHKEY_FORWARD_AUTH_HOSTS": "b\u00fccher.example"}, setting: "LATCHKEY_FORWARD_AUTH_HOSTS", message: "xn--"},
		{name: "forward-auth host IPv4 written short", env: map[string]string{"LATCHKEY_FORWARD_AUTH_HOSTS": "127.1:3000"}, setting: "LATCHKEY_FORWARD_AUTH_HOSTS"},
		{name: "forward-auth host trailing dot", env: map[string]string{"LATCHKEY_FORWARD_AUTH_HOSTS": "app.example.com."}, setting: "LATCHKEY_FORWARD_AUTH_HOSTS"},
		{name: "forward-auth host with a space", env: map[string]string{"LATCHKEY_FORWARD_AUTH_HOSTS": "app example.com"}, setting: "LATCHKEY_FORWARD_AUTH_HOSTS"},
		{name: "introspection pair without colon", env: map[string]string{"LATCHKEY_INTROSPECTION_CLIENTS": "billing:" + clientSecret + ",search" + clientSecret},
			setting: "LATCHKEY_INTROSPECTION_CLIENTS", message: "pair 2 is not name:secret"},
		{name: "introspection pair without name", env: map[string]string{"LATCHKEY_INTROSPECTION_CLIENTS": ":" + clientSecret},
			setting: "LATCHKEY_INTROSPECTION_CLIENTS", message: "pair 1 is not name:secret"},
		{name: "introspection name with space", env: map[string]string{"LATCHKEY_INTROSPECTION_CLIENTS": "bill ing:" + clientSecret},
			setting: "LATCHKEY_INTROSPECTION_CLIENTS", message: "the name of pair 1 may hold only"},
		{name: "introspection name twice", env: map[string]string{"LATCHKEY_INTROSPECTION_CLIENTS": "billing:" + clientSecret + ", billing:" + clientSecret + "x"},
			setting: "LATCHKEY_INTROSPECTION_CLIENTS", message: `the name "billing" is listed twice`},
		{name: "introspection secret short", env: map[string]string{"LATCHKEY_INTROSPECTION_CLIENTS": "billing:0123456789abcde"},
			setting: "LATCHKEY_INTROSPECTION_CLIENTS", message: `the secret of "billing" is shorter than 16 bytes`},
		{name: "introspection secret empty", env: map[string]string{"LATCHKEY_INTROSPECTION_CLIENTS": "billing:"},
			setting: "LATCHKEY_INTROSPECTION_CLIENTS", message: "shorter than 16 bytes"},
		{name: "introspection secret with space", env: map[string]string{"LATCHKEY_INTROSPECTION_CLIENTS": "billing:0123456789 abcdef"},
			setting: "LATCHKEY_INTROSPECTION_CLIENTS", message: "a space or a control character"},
		{name: "introspection secret with a control character", env: map[string]string{"LATCHKEY_INTROSPECTION_CLIENTS": "billing:0123456789\x00abcdef"},
			setting: "LATCHKEY_INTROSPECTION_CLIENTS", message: "a space or a control character"},

		{name: "log level unknown", env: map[string]string{"LATCHKEY_LOG_LEVEL": "trace"}, setting: "LATCHKEY_LOG_LEVEL", message: `"trace" is not a level`},
		{name: "log level number", env: map[string]string{"LATCHKEY_LOG_LEVEL": "4"}, setting: "LATCHKEY_LOG_LEVEL"},

		{name: "smtp url scheme", env: map[string]string{"LATCHKEY_SMTP_URL": "http://u:hunter2@mail.example.com:25"}, setting: "LATCHKEY_SMTP_URL", message: "must be smtp://[user:pass@]host:port (STARTTLS) or smtps://"},
		{name: "smtp url without scheme", env: map[string]string{"LATCHKEY_SMTP_URL": "mail.example.com:587"}, setting: "LATCHKEY_SMTP_URL"},
		{name: "smtp url scheme only", env: map[string]string{"LATCHKEY_SMTP_URL": "smtp:mail.example.com:587"}, setting: "LATCHKEY_SMTP_URL"},
		{name: "smtp url without port", env: map[string]string{"LATCHKEY_SMTP_URL": "smtp://mail.example.com"}, setting: "LATCHKEY_SMTP_URL", message: "needs a host and a port"},
		{name: "smtp url without host", env: map[string]string{"LATCHKEY_SMTP_URL": "smtps://:465"}, setting: "LATCHKEY_SMTP_URL", message: "needs a host and a port"},
		{name: "smtp url port 0", env: map[string]string{"LATCHKEY_SMTP_URL": "smtp://mail.example.com:0"}, setting: "LATCHKEY_SMTP_URL"},
		{name: "smtp url named port", env: map[string]string{"LATCHKEY_SMTP_URL": "smtp://mail.example.com:submission"}, setting: "LATCHKEY_SMTP_URL"},
		{name: "smtp url path", env: map[string]string{"LATCHKEY_SMTP_URL": "smtp://mail.example.com:587/inbox"}, setting: "LATCHKEY_SMTP_URL", message: "without a path or a query"},
		{name: "smtp url query", env: map[string]string{"LATCHKEY_SMTP_URL": "smtp://mail.example.com:587?tls=off"}, setting: "LATCHKEY_SMTP_URL"},
		{name: "smtp url bad escape", env: map[string]string{"LATCHKEY_SMTP_URL": "smtp://u:p%zz@mail.example.com:587"}, setting: "LATCHKEY_SMTP_URL", message: "percent-encode"},
		{name: "mail from without domain", env: map[string]string{"LATCHKEY_MAIL_FROM": "Latchkey"}, setting: "LATCHKEY_MAIL_FROM", message: `"Latchkey" is not an e-mail address`},
		{name: "mail from two addresses", env: map[string]string{"LATCHKEY_MAIL_FROM": "a@example.com, b@example.com"}, setting: "LATCHKEY_MAIL_FROM"},
		{name: "mail from unclosed", args: []string{"--mail-from", "Latchkey <no-reply@example.com"}, setting: "LATCHKEY_MAIL_FROM", message: "(from --mail-from)"},
		{name: "require verified word", env: map[string]string{"LATCHKEY_REQUIRE_VERIFIED_EMAIL": "yes"}, setting: "LATCHKEY_REQUIRE_VERIFIED_EMAIL", message: `"yes" is not true or false`},
		{name: "login links word", env: map[string]string{"LATCHKEY_LOGIN_LINKS": "off"}, setting: "LATCHKEY_LOGIN_LINKS"},
		{name: "bad base url makes no mail from complaint", env: map[string]string{"LATCHKEY_BASE_URL": "example.com"}, setting: "LATCHKEY_BASE_URL"},

		{name: "from a flag, named by its variable", args: []string{"--argon2-time", "abc"}, setting: "LATCHKEY_ARGON2_TIME", message: `"abc" is not a whole number from 1 to 16 (from --argon2-time)`},
		{name: "from a flag, base url", args: []string{"--base-url", "example.com"}, setting: "LATCHKEY_BASE_URL", message: "(from --base-url)"},
		{name: "bad address makes no base url complaint", env: map[string]string{"LATCHKEY_ADDR": "nope"}, setting: "LATCHKEY_ADDR"},
		{name: "default base url from a zoned address", env: map[string]string{"LATCHKEY_ADDR": "[fe80::1%eth0]:8080"}, setting: "LATCHKEY_BASE_URL", message: "(the default)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(t, tt.env, tt.args...)
			ps := problems(t, err)
			if len(ps) != 1 {
				t.Fatalf("got %d problems, want 1:\n%v", len(ps), err)
			}
			if ps[0].Setting != tt.setting {
				t.Errorf("Setting = %q, want %q (%v)", ps[0].Setting, tt.setting, err)
			}
			if !strings.Contains(ps[0].Message, tt.message) {
				t.Errorf("Message = %q, want it to contain %q", ps[0].Message, tt.message)
			}
			if !strings.Contains(err.Error(), "\n  "+tt.setting+": ") {
				t.Errorf("Error() = %q, want a line for %s", err.Error(), tt.setting)
			}
		})
	}
}

func TestLoadInvalidFromEnvFile(t *testing.T) {
	path := writeFile(t, "LATCHKEY_ARGON2_THREADS=many\n")
	_, err := load(t, map[string]string{envFileVar: path})
	ps := problems(t, err)
	want := []Problem{{"LATCHKEY_ARGON2_THREADS", `"many" is not a whole number from 1 to 16 (from ` + path + `)`}}
	if !reflect.DeepEqual(ps, want) {
		t.Errorf("problems = %q, want %q", ps, want)
	}
}

func TestLoadValid(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		args []string
		got  func(c *Config) any
		want any
	}{
		{name: "base url trailing slash trimmed", env: map[string]string{"LATCHKEY_BASE_URL": "https://auth.example.com/"},
			got: func(c *Config) any { return c.BaseURL.String() }, want: "https://auth.example.com"},
		{name: "base url path kept without slash", env: map[string]string{"LATCHKEY_BASE_URL": "https://example.com/auth//"},
			got: func(c *Config) any { return c.BaseURL.String() }, want: "https://example.com/auth"},
		{name: "base url scheme in capitals", args: []string{"--base-url", "HTTPS://auth.example.com:8443"},
			got: func(c *Config) any { return c.BaseURL.String() }, want: "https://auth.example.com:8443"},
		{name: "base url default follows addr", args: []string{"--addr", "127.0.0.1:9000"},
			got: func(c *Config) any { return c.BaseURL.String() }, want: "http://127.0.0.1:9000"},
		{name: "base url default for port only", env: map[string]string{"LATCHKEY_ADDR": ":9090"},
			got: func(c *Config) any { return c.BaseURL.String() }, want: "http://localhost:9090"},
		{name: "base url default for IPv4 wildcard", env: map[string]string{"LATCHKEY_ADDR": "0.0.0.0:80"},
			got: func(c *Config) any { return c.BaseURL.String() }, want: "http://localhost:80"},
		{name: "base url default for IPv6 wildcard", env: map[string]string{"LATCHKEY_ADDR": "[::]:8080"},
			got: func(c *Config) any { return c.BaseURL.String() }, want: "http://localhost:8080"},
		{name: "base url default for IPv6 loopback", env: map[string]string{"LATCHKEY_ADDR": "[::1]:8080"},
			got: func(c *Config) any { return c.BaseURL.String() }, want: "http://[::1]:8080"},
		{name: "base url default for port 0", env: map[string]string{"LATCHKEY_ADDR": "127.0.0.1:0"},
			got: func(c *Config) any { return c.BaseURL.String() }, want: "http://127.0.0.1:0"},
		{name: "base url given ignores addr", env: map[string]string{"LATCHKEY_ADDR": ":1", "LATCHKEY_BASE_URL": "https://a.example"},
			got: func(c *Config) any { return c.BaseURL.String() }, want: "https://a.example"},

		{name: "metrics off by default",
			got: func(c *Config) any { return c.MetricsAddr }, want: ""},
		{name: "metrics addr", env: map[string]string{"LATCHKEY_METRICS_ADDR": " 127.0.0.1:9090 "},
			got: func(c *Config) any { return c.MetricsAddr }, want: "127.0.0.1:9090"},
		{name: "metrics and public addr both any free port", env: map[string]string{"LATCHKEY_ADDR": "127.0.0.1:0", "LATCHKEY_METRICS_ADDR": "127.0.0.1:0"},
			got: func(c *Config) any { return c.MetricsAddr }, want: "127.0.0.1:0"},

		{name: "postgres url", env: map[string]string{"LATCHKEY_DATABASE_URL": "postgres://u:p@db:5432/latchkey?sslmode=disable"},
			got: func(c *Config) any { _, ok := c.SQLitePath(); return []any{c.DatabaseURL, ok} }, want: []any{"postgres://u:p@db:5432/latchkey?sslmode=disable", false}},
		{name: "postgresql url over a socket", env: map[string]string{"LATCHKEY_DATABASE_URL": "postgresql:///latchkey?host=/run/postgresql"},
			got: func(c *Config) any { return c.DatabaseURL }, want: "postgresql:///latchkey?host=/run/postgresql"},
		{name: "sqlite absolute path", args: []string{"--database-url", "sqlite:/var/lib/latchkey/db.sqlite"},
			got: func(c *Config) any { p, _ := c.SQLitePath(); return p }, want: "/var/lib/latchkey/db.sqlite"},

		{name: "rate limit off", env: map[string]string{"LATCHKEY_RATE_LIMIT_PER_IP": "0"},
			got: func(c *Config) any { return c.RateLimitPerIP }, want: 0},
		{name: "proxies: CIDRs, bare addresses, host bits, spaces", env: map[string]string{"LATCHKEY_TRUSTED_PROXIES": " 10.1.2.3/8, 192.168.1.1 ,,::1,fd00::/8"},
			got: func(c *Config) any { return c.TrustedProxies },
			want: []netip.Prefix{
				netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.168.1.1/32"),
				netip.MustParsePrefix("::1/128"), netip.MustParsePrefix("fd00::/8"),
			}},
		{name: "hash concurrency bounds", env: map[string]string{"LATCHKEY_HASH_CONCURRENCY": "256"},
			got: func(c *Config) any { return c.HashConcurrency }, want: 256},
		{name: "queue timeout at most", env: map[string]string{"LATCHKEY_HASH_QUEUE_TIMEOUT": "30s"},
			got: func(c *Config) any { return c.HashQueueTimeout }, want: 30 * time.Second},
		{name: "database timeout at most", env: map[string]string{"LATCHKEY_DATABASE_TIMEOUT": "30s"},
			got: func(c *Config) any { return c.DatabaseTimeout }, want: 30 * time.Second},
		{name: "database timeout flag", args: []string{"--database-timeout=300ms"},
			got: func(c *Config) any { return c.DatabaseTimeout }, want: 300 * time.Millisecond},
		{name: "JWKS max age flag", args: []string{"--jwks-max-age=1h"},
			got: func(c *Config) any { return c.JWKSMaxAge }, want: time.Hour},
		{name: "JWKS max age bounds", env: map[string]string{"LATCHKEY_JWKS_MAX_AGE": "24h"},
			got: func(c *Config) any { return c.JWKSMaxAge }, want: 24 * time.Hour},
		{name: "argon2 parameters", env: map[string]string{"LATCHKEY_ARGON2_MEMORY_KIB": "262144", "LATCHKEY_ARGON2_TIME": "16", "LATCHKEY_ARGON2_THREADS": "16"},
			got: func(c *Config) any { return []any{c.Argon2MemoryKiB, c.Argon2Time, c.Argon2Threads} }, want: []any{uint32(262144), uint32(16), uint8(16)}},
		{name: "password min length", args: []string{"--password-min-length=15"},
			got: func(c *Config) any { return c.PasswordMinLength }, want: 15},
		{name: "token and session lifetimes", env: map[string]string{
			"LATCHKEY_ACCESS_TOKEN_TTL": "1h30m", "LATCHKEY_REFRESH_TOKEN_TTL": "24h",
			"LATCHKEY_SESSION_IDLE_TTL": "24h", "LATCHKEY_SESSION_ABSOLUTE_TTL": "24h"},
			got: func(c *Config) any {
				return []time.Duration{c.AccessTokenTTL, c.RefreshTokenTTL, c.SessionIdleTTL, c.SessionAbsoluteTTL}
			},
			want: []time.Duration{90 * time.Minute, 24 * time.Hour, 24 * time.Hour, 24 * time.Hour}},

		{name: "EdDSA", args: []string{"--jwt-alg", "EdDSA"},
			got: func(c *Config) any { return c.JWTAlg }, want: "EdDSA"},
		{name: "HS256 with a 32-byte secret", env: map[string]string{"LATCHKEY_JWT_ALG": "HS256", "LATCHKEY_JWT_SECRET": strings.Repeat("s", 32)},
			got: func(c *Config) any { return c.JWTSecret.Reveal() }, want: strings.Repeat("s", 32)},
		{name: "secret kept as given, spaces included", env: map[string]string{"LATCHKEY_JWT_ALG": "HS256", "LATCHKEY_JWT_SECRET": " " + strings.Repeat("s", 31)},
			got: func(c *Config) any { return c.JWTSecret.Reveal() }, want: " " + strings.Repeat("s", 31)},
		{name: "short secret ignored without HS256", env: map[string]string{"LATCHKEY_JWT_ALG": "ES256", "LATCHKEY_JWT_SECRET": "short"},
			got: func(c *Config) any { return c.JWTAlg }, want: "ES256"},

		{name: "cors origins as browsers send them", env: map[string]string{"LATCHKEY_CORS_ORIGINS": "https://App.Example.com/, http://localhost:3000 ,https://x.example:443,http://y.example:80,http://[::1]:5173,capacitor://localhost"},
			got:  func(c *Config) any { return c.CORSOrigins },
			want: []string{"https://app.example.com", "http://localhost:3000", "https://x.example", "http://y.example", "http://[::1]:5173", "capacitor://localhost"}},
		{name: "cookie domain", env: map[string]string{"LATCHKEY_COOKIE_DOMAIN": "Example.COM", "LATCHKEY_BASE_URL": "https://auth.example.com"},
			got: func(c *Config) any { return c.CookieDomain }, want: "example.com"},
		{name: "cookie domain with RFC 6265's leading dot", args: []string{"--cookie-domain", ".example.com", "--base-url", "https://example.com"},
			got: func(c *Config) any { return c.CookieDomain }, want: "example.com"},
		{name: "cookie domain for localhost", env: map[string]string{"LATCHKEY_COOKIE_DOMAIN": "localhost", "LATCHKEY_BASE_URL": "http://auth.localhost:8080"},
			got: func(c *Config) any { return c.CookieDomain }, want: "localhost"},
		{name: "forward-auth hosts", env: map[string]string{"LATCHKEY_FORWARD_AUTH_HOSTS": " App.Example.com, ,tools.example.com:8443,127.0.0.1:3000,[::1]"},
			got:  func(c *Config) any { return c.ForwardAuthHosts },
			want: []hosts.Host{{Name: "app.example.com"}, {Name: "tools.example.com", Port: 8443}, {Name: "127.0.0.1", Port: 3000}, {Name: "[::1]"}}},
		{name: "forward-auth hosts flag", args: []string{"--forward-auth-hosts", "xn--bcher-kva.example"},
			got: func(c *Config) any { return c.ForwardAuthHosts }, want: []hosts.Host{{Name: "xn--bcher-kva.example"}}},
		{name: "introspection clients", env: map[string]string{"LATCHKEY_INTROSPECTION_CLIENTS": " billing:" + clientSecret + " ,, search.v2:" + clientSecret + ":with-colons,"},
			got:  func(c *Config) any { return c.IntrospectionClients },
			want: []IntrospectionClient{{"billing", clientSecret}, {"search.v2", clientSecret + ":with-colons"}}},
		{name: "log level in capitals", env: map[string]string{"LATCHKEY_LOG_LEVEL": "DEBUG"},
			got: func(c *Config) any { return c.LogLevel }, want: slog.LevelDebug},
		{name: "log level warn", args: []string{"--log-level", "warn"},
			got: func(c *Config) any { return c.LogLevel }, want: slog.LevelWarn},
		{name: "log level error", env: map[string]string{"LATCHKEY_LOG_LEVEL": "error"},
			got: func(c *Config) any { return c.LogLevel }, want: slog.LevelError},
		{name: "smtp url", env: map[string]string{"LATCHKEY_SMTP_URL": "smtp://mailer:p%40ss@mail.example.com:587"},
			got: func(c *Config) any { return c.SMTPURL.Reveal() }, want: "smtp://mailer:p%40ss@mail.example.com:587"},
		{name: "smtps url with a trailing slash", env: map[string]string{"LATCHKEY_SMTP_URL": "smtps://[::1]:465/"},
			got: func(c *Config) any { return c.SMTPURL.Reveal() }, want: "smtps://[::1]:465/"},
		{name: "mail dir", args: []string{"--mail-dir", "/var/spool/latchkey"},
			got: func(c *Config) any { return c.MailDir }, want: "/var/spool/latchkey"},
		{name: "mail from given", env: map[string]string{"LATCHKEY_MAIL_FROM": "Accounts <accounts@example.com>"},
			got: func(c *Config) any { return c.MailFrom }, want: "Accounts <accounts@example.com>"},
		{name: "mail from bare address", args: []string{"--mail-from", "no-reply@example.com"},
			got: func(c *Config) any { return c.MailFrom }, want: "no-reply@example.com"},
		{name: "mail from default without the port", env: map[string]string{"LATCHKEY_BASE_URL": "https://Auth.Example.com:8443/auth"},
			got: func(c *Config) any { return c.MailFrom }, want: "Latchkey <no-reply@auth.example.com>"},
		{name: "mail from default for IPv6", env: map[string]string{"LATCHKEY_ADDR": "[::1]:8080"},
			got: func(c *Config) any { return c.MailFrom }, want: "Latchkey <no-reply@[::1]>"},
		{name: "mail from default for an IP", env: map[string]string{"LATCHKEY_ADDR": "127.0.0.1:0"},
			got: func(c *Config) any { return c.MailFrom }, want: "Latchkey <no-reply@127.0.0.1>"},
		{name: "booleans", env: map[string]string{"LATCHKEY_REQUIRE_VERIFIED_EMAIL": "TRUE", "LATCHKEY_LOGIN_LINKS": "0"},
			got: func(c *Config) any { return []bool{c.RequireVerifiedEmail, c.LoginLinks} }, want: []bool{true, false}},
		{name: "boolean flags", args: []string{"--require-verified-email=true", "--login-links=false"},
			got: func(c *Config) any { return []bool{c.RequireVerifiedEmail, c.LoginLinks} }, want: []bool{true, false}},
		{name: "unknown LATCHKEY_ variables ignored", env: map[string]string{"LATCHKEY_ADRR": "typo:1"},
			got: func(c *Config) any { return c.Addr }, want: "localhost:8080"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustLoad(t, tt.env, tt.args...)
			if got := tt.got(c); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestLoadMasterKey(t *testing.T) {
	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(0xf0 + i) // high bytes, so that + / - _ appear in base64
	}
	tests := []struct {
		name    string
		written string
	}{
		{"hex", "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff000102030405060708090a0b0c0d0e0f"},
		{"hex in capitals", "F0F1F2F3F4F5F6F7F8F9FAFBFCFDFEFF000102030405060708090A0B0C0D0E0F"},
		{"standard base64", "8PHy8/T19vf4+fr7/P3+/wABAgMEBQYHCAkKCwwNDg8="},
		{"standard base64 without padding", "8PHy8/T19vf4+fr7/P3+/wABAgMEBQYHCAkKCwwNDg8"},
		{"URL base64", "8PHy8_T19vf4-fr7_P3-_wABAgMEBQYHCAkKCwwNDg8="},
		{"URL base64 without padding", "8PHy8_T19vf4-fr7_P3-_wABAgMEBQYHCAkKCwwNDg8"},
		{"with a trailing newline", "8PHy8/T19vf4+fr7/P3+/wABAgMEBQYHCAkKCwwNDg8=\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustLoad(t, map[string]string{"LATCHKEY_MASTER_KEY": tt.written})
			if got := c.MasterKeyBytes(); !reflect.DeepEqual(got, key) {
				t.Errorf("MasterKeyBytes = %x, want %x", got, key)
			}
		})
	}
}

func TestLoadReportsEveryProblem(t *testing.T) {
	_, err := load(t, map[string]string{
		"LATCHKEY_JWT_ALG":     "RS256",
		"LATCHKEY_ARGON2_TIME": "abc",
		"LATCHKEY_MASTER_KEY":  "too-short",
	}, "--rate-limit-per-ip", "-5", "--refresh-token-ttl", "5m")
	want := "invalid settings:\n" +
		`  LATCHKEY_RATE_LIMIT_PER_IP: "-5" is not a whole number of 0 or more (0 turns the limit off) (from --rate-limit-per-ip)` + "\n" +
		`  LATCHKEY_ARGON2_TIME: "abc" is not a whole number from 1 to 16` + "\n" +
		`  LATCHKEY_REFRESH_TOKEN_TTL: 5m must be longer than LATCHKEY_ACCESS_TOKEN_TTL (15m)` + "\n" +
		`  LATCHKEY_JWT_ALG: "RS256" is not supported: must be ES256, EdDSA or HS256, spelled exactly so` + "\n" +
		`  LATCHKEY_MASTER_KEY: must be 32 bytes written as 64 hex digits or base64 (make one with: openssl rand -hex 32)`
	if len(problems(t, err)) != 5 {
		t.Errorf("got %d problems, want 5", len(problems(t, err)))
	}
	if err.Error() != want {
		t.Errorf("Error() =\n%s\nwant\n%s", err, want)
	}
}

func TestLoadEnvFile(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing.env")
	tests := []struct {
		name    string
		file    string // written as .env in the working directory when not empty
		env     map[string]string
		args    []string
		problem string // a part of the LATCHKEY_ENV_FILE message; "" for success
		addr    string
	}{
		{name: "default missing is fine", addr: "localhost:8080"},
		{name: "default read", file: "LATCHKEY_ADDR=dotenv:1\n", addr: "dotenv:1"},
		{name: "default with comments, export and quotes", file: "# settings\nexport LATCHKEY_ADDR='quoted:1' # trailing\n", addr: "quoted:1"},
		{name: "other variables ignored", file: "PORT=9\nLATCHKEY_NOPE=1\nLATCHKEY_ADDR=dotenv:1\n", addr: "dotenv:1"},
		{name: "named by flag and missing", args: []string{"--env-file", missing}, problem: `cannot read "` + missing + `": no such file or directory`},
		{name: "named by variable and missing", env: map[string]string{envFileVar: missing}, problem: "no such file or directory"},
		{name: "flag wins over variable", file: "LATCHKEY_ADDR=dotenv:1\n", env: map[string]string{envFileVar: missing}, args: []string{"--env-file", ".env"}, addr: "dotenv:1"},
		{name: "directory", args: []string{"--env-file", "."}, problem: "cannot read"},
		{name: "unterminated quote", file: "LATCHKEY_JWT_SECRET=\"never-shown-secret\n", problem: `".env" is not a valid env file`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Chdir(t.TempDir())
			if tt.file != "" {
				if err := os.WriteFile(".env", []byte(tt.file), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			f := NewFlags(fs)
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			c, err := Load(f, func(k string) string { return tt.env[k] })
			if tt.problem == "" {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				if c.Addr != tt.addr {
					t.Errorf("Addr = %q, want %q", c.Addr, tt.addr)
				}
				return
			}
			ps := problems(t, err)
			if len(ps) != 1 || ps[0].Setting != envFileVar || !strings.Contains(ps[0].Message, tt.problem) {
				t.Errorf("problems = %q, want one for %s containing %q", ps, envFileVar, tt.problem)
			}
			if strings.Contains(err.Error(), "never-shown") {
				t.Errorf("Error() repeats the file's content: %q", err)
			}
		})
	}
}

func TestNewFlags(t *testing.T) {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	NewFlags(fs)
	for _, name := range []string{
		"addr", "base-url", "database-url", "rate-limit-per-ip", "trusted-proxies",
		"hash-concurrency", "hash-queue-timeout", "argon2-memory-kib", "argon2-time",
		"argon2-threads", "password-min-length", "access-token-ttl", "refresh-token-ttl",
		"session-idle-ttl", "session-absolute-ttl", "jwt-alg", "cors-origins", "log-level",
		"mail-dir", "mail-from", "require-verified-email", "login-links", "env-file",
	} {
		t.Run(name, func(t *testing.T) {
			fl := fs.Lookup(name)
			if fl == nil {
				t.Fatalf("no --%s flag", name)
			}
			if !strings.Contains(fl.Usage, "LATCHKEY_") {
				t.Errorf("--%s usage %q does not name its variable", name, fl.Usage)
			}
		})
	}
	for _, name := range []string{"jwt-secret", "master-key", "smtp-url", "introspection-clients"} {
		t.Run(name, func(t *testing.T) {
			if fs.Lookup(name) != nil {
				t.Errorf("--%s exists; a secret on the command line is visible in ps", name)
			}
		})
	}
	t.Run("bad values parse, for Load to report", func(t *testing.T) {
		if err := fs.Parse([]string{"--argon2-time", "abc", "--hash-queue-timeout", "soon"}); err != nil {
			t.Errorf("Parse: %v", err)
		}
	})
}
