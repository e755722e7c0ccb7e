package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestSecretPrintsMask(t *testing.T) {
	s := Secret("hunter2-hunter2")
	type holder struct{ S Secret }
	tests := []struct {
		name string
		got  func() (string, error)
		want string
	}{
		{"%v", sprint("%v", s), "****"},
		{"%+v", sprint("%+v", s), "****"},
		{"%s", sprint("%s", s), "****"},
		{"%q", sprint("%q", s), `"****"`},
		{"%#v", sprint("%#v", s), `"****"`},
		{"%d", sprint("%d", s), "****"},
		{"%x", sprint("%x", s), "****"},
		{"%X", sprint("%X", s), "****"},
		{"%10s", sprint("%10s", s), "****"},
		{"Sprint", func() (string, error) { return fmt.Sprint(s), nil }, "****"},
		{"in a struct %+v", sprint("%+v", holder{s}), "{S:****}"},
		{"in a struct %#v", sprint("%#v", holder{s}), `config.holder{S:"****"}`},
		{"in a slice %v", sprint("%v", []Secret{s, s}), "[**** ****]"},
		{"String", func() (string, error) { return s.String(), nil }, "****"},
		{"GoString", func() (string, error) { return s.GoString(), nil }, `"****"`},
		{"MarshalText", func() (string, error) { b, err := s.MarshalText(); return string(b), err }, "****"},
		{"json", func() (string, error) { b, err := json.Marshal(holder{s}); return string(b), err }, `{"S":"****"}`},
		{"error wrapping", func() (string, error) { return fmt.Errorf("key %v: %w", s, errors.New("bad")).Error(), nil }, "key ****: bad"},
		{"slog json", func() (string, error) {
			var buf bytes.Buffer
			slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "secret", s)
			return buf.String(), nil
		}, `"secret":"****"`},
		{"slog text", func() (string, error) {
			var buf bytes.Buffer
			slog.New(slog.NewTextHandler(&buf, nil)).Info("x", "secret", s)
			return buf.String(), nil
		}, "secret=****"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.got()
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(got, tt.want) || strings.Contains(got, "hunter2") {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func sprint(format string, v any) func() (string, error) {
	return func() (string, error) { return fmt.Sprintf(format, v), nil }
}

func TestSecretRevealAndIsSet(t *testing.T) {
	tests := []struct {
		secret Secret
		reveal string
		set    bool
	}{
		{"", "", false},
		{" ", " ", true},
		{"hunter2", "hunter2", true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.reveal), func(t *testing.T) {
			if got := tt.secret.Reveal(); got != tt.reveal {
				t.Errorf("Reveal = %q, want %q", got, tt.reveal)
			}
			if got := tt.secret.IsSet(); got != tt.set {
				t.Errorf("IsSet = %v, want %v", got, tt.set)
			}
		})
	}
}

// TestSecretsNeverPrinted checks every way a loaded Config, or the error of
// one that failed, can be printed.
func TestSecretsNeverPrinted(t *testing.T) {
	const (
		jwtSecret = "jwt-secret-jwt-secret-jwt-secret-0123"
		masterKey = "5ec2e75ec2e75ec2e75ec2e75ec2e75ec2e75ec2e75ec2e75ec2e75ec2e75ec2"
		dbPass    = "db-pass-db-pass"
		smtpPass  = "smtp-pass-smtp-pass"
		clientPw  = "client-secret-client-secret"
	)
	leaks := []string{jwtSecret, masterKey, dbPass, "5ec2e7", smtpPass, clientPw}
	c := mustLoad(t, map[string]string{
		"LATCHKEY_JWT_ALG":      "HS256",
		"LATCHKEY_JWT_SECRET":   jwtSecret,
		"LATCHKEY_MASTER_KEY":   masterKey,
		"LATCHKEY_DATABASE_URL": "postgres://latchkey:" + dbPass + "@db/latchkey?password=" + dbPass,
		"LATCHKEY_SMTP_URL":     "smtps://mailer:" + smtpPass + "@mail.example.com:465",

		"LATCHKEY_INTROSPECTION_CLIENTS": "billing:" + clientPw,
	})
	_, failed := load(t, map[string]string{
		"LATCHKEY_JWT_ALG":      "HS256",
		"LATCHKEY_JWT_SECRET":   jwtSecret[:31],
		"LATCHKEY_MASTER_KEY":   masterKey[:62],
		"LATCHKEY_DATABASE_URL": "mysql://latchkey:" + dbPass + "@db/latchkey",
		"LATCHKEY_BASE_URL":     "https://latchkey:" + dbPass + "@example.com",
		"LATCHKEY_CORS_ORIGINS": "https://latchkey:" + dbPass + "@example.com",
		"LATCHKEY_SMTP_URL":     "smtp://mailer:" + smtpPass + "@mail.example.com",

		"LATCHKEY_INTROSPECTION_CLIENTS": "billing:" + clientPw + ",billing" + clientPw + ",bad name:" + clientPw + ",short:" + clientPw[:15],
	})
	if len(problems(t, failed)) != 7 {
		t.Errorf("want 7 problems, got %v", failed)
	}

	outputs := []struct {
		name string
		text func() string
	}{
		{"Error()", func() string { return failed.Error() }},
		{"Write", func() string {
			var buf bytes.Buffer
			if err := c.Write(&buf); err != nil {
				t.Fatal(err)
			}
			return buf.String()
		}},
		{"fmt of *Config", func() string { return fmt.Sprintf("%v %+v %#v %s %q %d %x", c, c, c, c, c, c, c) }},
		{"fmt of Config", func() string { return fmt.Sprintf("%v %+v %#v %s %q %d %x", *c, *c, *c, *c, *c, *c, *c) }},
		{"fmt of fields", func() string {
			return fmt.Sprintf("%v %+v %#v %s %q %d %x %v %v %+v", c.JWTSecret, c.MasterKey, c.JWTSecret, c.MasterKey, c.JWTSecret, c.MasterKey, c.JWTSecret, c.SMTPURL,
				c.IntrospectionClients, c.IntrospectionClients)
		}},
		{"slog json", func() string {
			var buf bytes.Buffer
			slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "cfg", c)
			return buf.String()
		}},
		{"slog text", func() string {
			var buf bytes.Buffer
			slog.New(slog.NewTextHandler(&buf, nil)).Info("x", "cfg", c, "value", *c)
			return buf.String()
		}},
	}
	for _, o := range outputs {
		t.Run(o.name, func(t *testing.T) {
			text := o.text()
			for _, leak := range leaks {
				if strings.Contains(text, leak) {
					t.Errorf("output contains %q:\n%s", leak, text)
				}
			}
		})
	}
}
