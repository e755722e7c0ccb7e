package config

import (
	"fmt"
	"net/mail"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// mailSettings are the settings of account e-mails (DESIGN.md, "Account
// e-mails"). They come after the others, as the sender's default reads
// the base URL.
var mailSettings = []setting{
	{
		name: "LATCHKEY_SMTP_URL", secret: true,
		def:   fixed(""),
		parse: parseSMTPURL,
		show:  func(c *Config) string { return showSecret(c.SMTPURL) },
	},
	{
		name: "LATCHKEY_MAIL_DIR", usage: "`directory` mail is written to, as .eml files, without LATCHKEY_SMTP_URL", defText: "./data/mail",
		def:   fixed("./data/mail"),
		parse: func(c *Config, raw string) string { c.MailDir = raw; return "" },
		show:  func(c *Config) string { return c.MailDir },
	},
	{
		name: "LATCHKEY_MAIL_FROM", usage: "sender `address` of every mail, like \"Latchkey <no-reply@example.com>\"",
		defText: "Latchkey <no-reply@HOST>, HOST from the base URL",
		def:     defaultMailFrom,
		parse: func(c *Config, raw string) string {
			if _, err := mail.ParseAddress(raw); err != nil {
				return fmt.Sprintf("%q is not an e-mail address; write it like \"Latchkey <no-reply@example.com>\" or no-reply@example.com", raw)
			}
			c.MailFrom = raw
			return ""
		},
		show: func(c *Config) string { return c.MailFrom },
	},
	{
		name: "LATCHKEY_REQUIRE_VERIFIED_EMAIL", usage: "`true` refuses logins and writes to accounts whose e-mail address is not verified", defText: "false",
		def:   fixed("false"),
		parse: boolean(func(c *Config, b bool) { c.RequireVerifiedEmail = b }),
		show:  func(c *Config) string { return strconv.FormatBool(c.RequireVerifiedEmail) },
	},
	{
		name: "LATCHKEY_LOGIN_LINKS", usage: "`false` turns off passwordless sign-in links by e-mail", defText: "true",
		def:   fixed("true"),
		parse: boolean(func(c *Config, b bool) { c.LoginLinks = b }),
		show:  func(c *Config) string { return strconv.FormatBool(c.LoginLinks) },
	},
}

// boolean parses true or false as strconv.ParseBool does (also 1, 0, t, f,
// in any case).
func boolean(set func(*Config, bool)) func(*Config, string) string {
	return func(c *Config, raw string) string {
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return fmt.Sprintf("%q is not true or false", raw)
		}
		set(c, b)
		return ""
	}
}

// parseSMTPURL checks the SMTP URL as the mail transport will read it, so
// that a mistake stops the start-up instead of the first password reset.
// No message quotes it: it may hold a password.
func parseSMTPURL(c *Config, raw string) string {
	const hidden = " (the value is not shown, as it may hold a password)"
	u, err := url.Parse(raw)
	if err != nil {
		return "is not a URL; percent-encode special characters in the user name and password" + hidden
	}
	if u.Scheme != "smtp" && u.Scheme != "smtps" {
		return "must be smtp://[user:pass@]host:port (STARTTLS) or smtps://[user:pass@]host:port (TLS)" + hidden
	}
	if n, err := strconv.ParseUint(u.Port(), 10, 16); u.Hostname() == "" || err != nil || n == 0 {
		return "needs a host and a port, like smtp://mail.example.com:587 or smtps://mail.example.com:465" + hidden
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || u.Opaque != "" {
		return "must be only scheme://[user:pass@]host:port, without a path or a query" + hidden
	}
	c.SMTPURL = Secret(raw)
	return ""
}

// defaultMailFrom is "Latchkey <no-reply@HOST>", HOST being the base URL's
// host name without the port, in lower case, bracketed when it is an IPv6 address, which
// makes it a valid address literal. It is mail.DefaultFrom, written again
// so that this package does not depend on the mail package; a test in
// cmd/latchkey checks that they agree. Without a valid base URL it is
// empty, which makes no second complaint.
func defaultMailFrom(c *Config) string {
	if c.BaseURL == nil {
		return ""
	}
	host := strings.ToLower(c.BaseURL.Hostname())
	if ip, err := netip.ParseAddr(host); err == nil && ip.Is6() {
		host = "[" + host + "]"
	}
	return "Latchkey <no-reply@" + host + ">"
}
