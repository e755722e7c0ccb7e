package web

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"html/template"
	"image/png"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pquerna/otp"

	"github.com/latchkey/latchkey/internal/auth"
)

// Two-step verification on /account (DESIGN.md, "Second factor and
// passkeys"): its section of the account page (account_totp.html), the
// enrolment page with the QR code, and the page that shows recovery codes
// the one time they are shown. Every step that changes it asks for the
// password again: whoever finds a session open must not be able to take
// over, or take off, the second factor.

// totpSection is the account page's "Two-step verification": the form to
// set it up while it is off; once on, since when, the recovery codes
// left, and the forms for new codes and to turn it off.
type totpSection struct {
	On       bool
	Since    time.Time
	Left     string // the recovery codes left, in words
	Setup    *form  // off
	Recovery *form  // on
	Disable  *form  // on
}

// The section's forms all ask for the current password, as the profile
// form does: each has an id prefix of its own.

func totpSetupForm() *form {
	f := newForm("totp-form", "/account/totp", input{"current_password", "Current password", "password", "current-password"})
	f.idPrefix = "totp-"
	return f
}

func recoveryCodesForm() *form {
	f := newForm("recovery-form", "/account/totp/recovery-codes", input{"current_password", "Current password", "password", "current-password"})
	f.idPrefix = "recovery-"
	return f
}

func totpOffForm() *form {
	f := newForm("totp-off-form", "/account/totp/disable",
		input{"current_password", "Current password", "password", "current-password"},
		input{"code", "Code from your authenticator app", "text", "one-time-code"})
	f.idPrefix = "totp-off-"
	f.hint("code", "Six digits, or one of your recovery codes if you lost your phone.")
	return f
}

func totpConfirmForm() *form {
	f := newForm("totp-confirm-form", "/account/totp/confirm", input{"code", "Code from your authenticator app", "text", "one-time-code"})
	f.focus = true
	return f
}

// fillTOTPSection completes t (nil: nothing typed yet) for the page of p: the
// forms not given, the state and the count of recovery codes.
func (s *site) fillTOTPSection(ctx context.Context, p *auth.Principal, t *totpSection) (*totpSection, error) {
	if t == nil {
		t = &totpSection{}
	}
	if t.On = p.User.MFAEnabled(); !t.On {
		if t.Setup == nil {
			t.Setup = totpSetupForm()
		}
		return t, nil
	}
	t.Since = *p.User.MFAEnabledAt
	n, err := s.Auth.RecoveryCodesLeft(ctx, p)
	if err != nil {
		return nil, err
	}
	switch n {
	case 0:
		t.Left = "No recovery codes left: make new ones, in case you lose your phone."
	case 1:
		t.Left = "1 recovery code left."
	default:
		t.Left = strconv.Itoa(n) + " recovery codes left."
	}
	if t.Recovery == nil {
		t.Recovery = recoveryCodesForm()
	}
	if t.Disable == nil {
		t.Disable = totpOffForm()
	}
	return t, nil
}

// beginTOTP starts the enrolment after the password, then shows it
// (totpPage): a reload of that page shows the same secret rather than
// making a new one.
func (s *site) beginTOTP(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	f := totpSetupForm()
	if err := readForm(w, r, f); err != nil {
		badForm(w, err)
		return
	}
	if _, err := s.Auth.BeginTOTP(r.Context(), p, f.Values["current_password"]); err != nil {
		s.totpFormError(w, r, err, &totpSection{Setup: f})
		return
	}
	s.redirect(w, r, "/account/totp")
}

// totpFormError shows the account page again with the section's form in
// error, or the error page: a conflict (it is on already, or off) is the
// state having changed since the page was shown, which the form, drawn
// for the other state, cannot explain.
func (s *site) totpFormError(w http.ResponseWriter, r *http.Request, err error, t *totpSection) {
	if auth.ErrorCode(err) == auth.CodeConflict {
		s.fail(w, r, err)
		return
	}
	f := t.Setup
	if f == nil {
		f = t.Recovery
	}
	if f == nil {
		f = t.Disable
	}
	status, ok := s.apply(w, r, f, err)
	if !ok {
		return // answered with the error page
	}
	s.renderAccount(w, r, status, accountData{TOTP: t})
}

// enrolmentData is the enrolment page: what the authenticator app needs,
// as a QR code and as text, and the form for its first code.
type enrolmentData struct {
	QR     template.URL // a data: URL of the PNG
	Secret string       // grouped in fours, for reading
	Form   *form
}

// totpPage shows the enrolment waiting for its first code; with none
// waiting (or two-step verification on already) there is nothing to show
// but the account page.
func (s *site) totpPage(w http.ResponseWriter, r *http.Request) {
	s.renderEnrolment(w, r, http.StatusOK, totpConfirmForm())
}

func (s *site) renderEnrolment(w http.ResponseWriter, r *http.Request, status int, f *form) {
	en, err := s.Auth.PendingTOTP(r.Context(), principal(r))
	if auth.ErrorCode(err) == auth.CodeNotFound || auth.ErrorCode(err) == auth.CodeConflict {
		s.redirect(w, r, "/account")
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	qr, err := qrCode(en.URL)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, status, "totp_setup", "Set up two-step verification", enrolmentData{QR: qr, Secret: groupsOfFour(en.Secret), Form: f})
}

// recoveryData is the page that shows recovery codes, the one time they
// are shown.
type recoveryData struct {
	Codes []string
	New   bool // they replace earlier ones, rather than come with the setup
}

// confirmTOTP turns two-step verification on with the app's first code
// and shows the recovery codes; a wrong code shows the same enrolment
// again.
func (s *site) confirmTOTP(w http.ResponseWriter, r *http.Request) {
	f := totpConfirmForm()
	if err := readForm(w, r, f); err != nil {
		badForm(w, err)
		return
	}
	codes, err := s.Auth.ConfirmTOTP(r.Context(), principal(r), f.Values["code"])
	if auth.ErrorCode(err) == auth.CodeConflict {
		s.fail(w, r, err) // on already, or nothing waiting: the page is stale
		return
	}
	if err != nil {
		status, ok := s.apply(w, r, f, err)
		if ok {
			s.renderEnrolment(w, r, status, f)
		}
		return
	}
	s.renderWhole(w, r, http.StatusOK, "recovery_codes", "Save your recovery codes", recoveryData{Codes: codes})
}

// newRecoveryCodes replaces the recovery codes, after the password, and
// shows the new ones.
func (s *site) newRecoveryCodes(w http.ResponseWriter, r *http.Request) {
	f := recoveryCodesForm()
	if err := readForm(w, r, f); err != nil {
		badForm(w, err)
		return
	}
	codes, err := s.Auth.NewRecoveryCodes(r.Context(), principal(r), f.Values["current_password"])
	if err != nil {
		s.totpFormError(w, r, err, &totpSection{Recovery: f})
		return
	}
	s.renderWhole(w, r, http.StatusOK, "recovery_codes", "Save your new recovery codes", recoveryData{Codes: codes, New: true})
}

// disableTOTP turns two-step verification off, after the password and a
// code from the app or a recovery code.
func (s *site) disableTOTP(w http.ResponseWriter, r *http.Request) {
	f := totpOffForm()
	if err := readForm(w, r, f); err != nil {
		badForm(w, err)
		return
	}
	err := s.Auth.DisableTOTP(r.Context(), principal(r), f.Values["current_password"], auth.SecondFactor{Code: f.Values["code"]})
	if err != nil {
		s.totpFormError(w, r, err, &totpSection{Disable: f})
		return
	}
	s.redirect(w, r, "/account?done=totp-off")
}

// qrCode draws the otpauth:// URL as a QR code, a PNG in a data: URL:
// drawn here, so that the secret goes to no other service, and inline, so
// that it is no file of its own for a cache to keep (the pages' CSP lets
// images come from data: URLs for it).
func qrCode(otpauth string) (template.URL, error) {
	key, err := otp.NewKeyFromURL(otpauth)
	if err != nil {
		return "", fmt.Errorf("qr code: %w", err)
	}
	img, err := key.Image(256, 256)
	if err != nil {
		return "", fmt.Errorf("qr code: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return "", fmt.Errorf("qr code: %w", err)
	}
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())), nil
}

// groupsOfFour is s in groups of four characters, for a person to read
// and type; authenticator apps take the secret with the spaces or
// without.
func groupsOfFour(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i += 4 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s[i:min(i+4, len(s))])
	}
	return b.String()
}
