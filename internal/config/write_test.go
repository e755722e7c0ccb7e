package config

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

func TestWriteDefaults(t *testing.T) {
	c := mustLoad(t, map[string]string{"LATCHKEY_HASH_CONCURRENCY": "4"})
	var buf bytes.Buffer
	if err := c.Write(&buf); err != nil {
		t.Fatal(err)
	}
	want := `LATCHKEY_ADDR=localhost:8080
LATCHKEY_BASE_URL=http://localhost:8080
LATCHKEY_DATABASE_URL=sqlite:./data/latchkey.db
LATCHKEY_DATABASE_MAX_CONNS=20
LATCHKEY_DATABASE_TIMEOUT=5s
LATCHKEY_RATE_LIMIT_PER_IP=60
LATCHKEY_TRUSTED_PROXIES=
LATCHKEY_HASH_CONCURRENCY=4
LATCHKEY_HASH_QUEUE_TIMEOUT=500ms
LATCHKEY_ARGON2_MEMORY_KIB=19456
LATCHKEY_ARGON2_TIME=2
LATCHKEY_ARGON2_THREADS=1
LATCHKEY_PASSWORD_MIN_LENGTH=8
LATCHKEY_ACCESS_TOKEN_TTL=15m0s
LATCHKEY_REFRESH_TOKEN_TTL=168h0m0s
LATCHKEY_SESSION_IDLE_TTL=168h0m0s
LATCHKEY_SESSION_ABSOLUTE_TTL=720h0m0s
LATCHKEY_JWT_ALG=ES256
LATCHKEY_JWT_SECRET=
LATCHKEY_MASTER_KEY=
LATCHKEY_JWKS_MAX_AGE=5m0s
LATCHKEY_AUDIT_RETENTION=2160h0m0s
LATCHKEY_CORS_ORIGINS=
LATCHKEY_COOKIE_DOMAIN=
LATCHKEY_FORWARD_AUTH_HOSTS=
LATCHKEY_INTROSPECTION_CLIENTS=
LATCHKEY_LOG_LEVEL=info
LATCHKEY_METRICS_ADDR=
LATCHKEY_SMTP_URL=
LATCHKEY_MAIL_DIR=./data/mail
LATCHKEY_MAIL_FROM=Latchkey <no-reply@localhost>
LATCHKEY_REQUIRE_VERIFIED_EMAIL=false
LATCHKEY_LOGIN_LINKS=true
`
	if got := buf.String(); got != want {
		t.Errorf("Write =\n%s\nwant\n%s", got, want)
	}
}

func TestWriteValues(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string // one line of the output
	}{
		{"postgres password redacted",
			map[string]string{"LATCHKEY_DATABASE_URL": "postgres://latchkey:s3cr%40t@db:5432/latchkey?sslmode=disable"},
			"LATCHKEY_DATABASE_URL=postgres://latchkey:xxxxx@db:5432/latchkey?sslmode=disable"},
		{"postgres password parameter redacted",
			map[string]string{"LATCHKEY_DATABASE_URL": "postgresql://db/latchkey?password=s3cret&sslmode=require"},
			"LATCHKEY_DATABASE_URL=postgresql://db/latchkey?password=xxxxx&sslmode=require"},
		{"postgres without password unchanged",
			map[string]string{"LATCHKEY_DATABASE_URL": "postgres://latchkey@db/latchkey?sslmode=verify-full"},
			"LATCHKEY_DATABASE_URL=postgres://latchkey@db/latchkey?sslmode=verify-full"},
		{"jwt secret set",
			map[string]string{"LATCHKEY_JWT_SECRET": "s3cret"},
			"LATCHKEY_JWT_SECRET=****"},
		{"master key set",
			map[string]string{"LATCHKEY_MASTER_KEY": strings.Repeat("ab", 32)},
			"LATCHKEY_MASTER_KEY=****"},
		{"smtp url set",
			map[string]string{"LATCHKEY_SMTP_URL": "smtp://mailer:s3cret@mail.example.com:587"},
			"LATCHKEY_SMTP_URL=****"},
		{"introspection clients set",
			map[string]string{"LATCHKEY_INTROSPECTION_CLIENTS": "billing:s3cret-s3cret-s3cret"},
			"LATCHKEY_INTROSPECTION_CLIENTS=****"},
		{"mail from follows the base url",
			map[string]string{"LATCHKEY_BASE_URL": "https://auth.example.com:8443/x"},
			"LATCHKEY_MAIL_FROM=Latchkey <no-reply@auth.example.com>"},
		{"booleans",
			map[string]string{"LATCHKEY_REQUIRE_VERIFIED_EMAIL": "1", "LATCHKEY_LOGIN_LINKS": "FALSE"},
			"LATCHKEY_REQUIRE_VERIFIED_EMAIL=true\nLATCHKEY_LOGIN_LINKS=false"},
		{"lists comma-joined",
			map[string]string{"LATCHKEY_TRUSTED_PROXIES": "10.0.0.0/8, ::1", "LATCHKEY_CORS_ORIGINS": "https://a.example, https://b.example"},
			"LATCHKEY_TRUSTED_PROXIES=10.0.0.0/8,::1/128"},
		{"origins comma-joined",
			map[string]string{"LATCHKEY_CORS_ORIGINS": "https://a.example, https://b.example"},
			"LATCHKEY_CORS_ORIGINS=https://a.example,https://b.example"},
		{"cookie domain and forward-auth hosts in their canonical form",
			map[string]string{"LATCHKEY_COOKIE_DOMAIN": ".Example.com", "LATCHKEY_BASE_URL": "https://auth.example.com",
				"LATCHKEY_FORWARD_AUTH_HOSTS": "App.Example.com, tools.example.com:08443,[0::1]:3000"},
			"LATCHKEY_COOKIE_DOMAIN=example.com\nLATCHKEY_FORWARD_AUTH_HOSTS=app.example.com,tools.example.com:8443,[::1]:3000"},
		{"durations as Go writes them",
			map[string]string{"LATCHKEY_ACCESS_TOKEN_TTL": "90m"},
			"LATCHKEY_ACCESS_TOKEN_TTL=1h30m0s"},
		{"metrics address",
			map[string]string{"LATCHKEY_METRICS_ADDR": "127.0.0.1:9090"},
			"LATCHKEY_METRICS_ADDR=127.0.0.1:9090"},
		{"log level in lower case",
			map[string]string{"LATCHKEY_LOG_LEVEL": "WARN"},
			"LATCHKEY_LOG_LEVEL=warn"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustLoad(t, tt.env)
			var buf bytes.Buffer
			if err := c.Write(&buf); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains("\n"+buf.String(), "\n"+tt.want+"\n") {
				t.Errorf("Write =\n%s\nwant a line %q", buf.String(), tt.want)
			}
			if strings.Contains(buf.String(), "s3cr") {
				t.Errorf("Write leaks a secret:\n%s", buf.String())
			}
		})
	}
}

func TestWriteError(t *testing.T) {
	c := mustLoad(t, nil)
	want := errors.New("disk full")
	if err := c.Write(failingWriter{want}); !errors.Is(err, want) {
		t.Errorf("Write = %v, want %v", err, want)
	}
}

type failingWriter struct{ err error }

func (w failingWriter) Write([]byte) (int, error) { return 0, w.err }

func TestConfigPrintedForms(t *testing.T) {
	c := mustLoad(t, map[string]string{
		"LATCHKEY_DATABASE_URL": "postgres://u:pw@db/latchkey",
		"LATCHKEY_JWT_SECRET":   "s3cret",
	})
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "cfg", c)
	tests := []struct {
		name, got, want string
	}{
		{"String", c.String(), "{LATCHKEY_ADDR=localhost:8080 LATCHKEY_BASE_URL=http://localhost:8080 LATCHKEY_DATABASE_URL=postgres://u:xxxxx@db/latchkey "},
		{"String secret", c.String(), " LATCHKEY_JWT_SECRET=**** LATCHKEY_MASTER_KEY= "},
		{"slog group", buf.String(), `"cfg":{"addr":"localhost:8080","base_url":"http://localhost:8080","database_url":"postgres://u:xxxxx@db/latchkey",`},
		{"slog secret", buf.String(), `"jwt_secret":"****","master_key":""`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(tt.got, tt.want) {
				t.Errorf("got %s\nwant it to contain %s", tt.got, tt.want)
			}
		})
	}
}

func TestSQLitePath(t *testing.T) {
	tests := []struct {
		url  string
		path string
		ok   bool
	}{
		{"sqlite:./data/latchkey.db", "./data/latchkey.db", true},
		{"sqlite:/var/lib/latchkey.db", "/var/lib/latchkey.db", true},
		{"postgres://db/latchkey", "", false},
		{"postgresql://db/latchkey", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			c := &Config{DatabaseURL: tt.url}
			path, ok := c.SQLitePath()
			if path != tt.path || ok != tt.ok {
				t.Errorf("SQLitePath = %q, %v; want %q, %v", path, ok, tt.path, tt.ok)
			}
		})
	}
}
