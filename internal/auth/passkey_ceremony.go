package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/google/uuid"
)

// ErrPasskeysOff is what the passkey flows answer when passkeys cannot
// work here: the base URL's host is an IP address, which WebAuthn refuses
// as a relying party.
var ErrPasskeysOff = &Error{Code: CodeNotFound, Message: "Passkeys need a base URL with a host name, not an IP address."}

// errCeremonyGone answers a second step whose first is unknown, used,
// expired, or another's.
var errCeremonyGone = &Error{Code: CodeInvalid,
	Message: "This passkey request has expired or was used already. Please try again."}

// errUnreadableAnswer answers an authenticator response that does not
// parse: not JSON, or not a WebAuthn credential.
var errUnreadableAnswer = &Error{Code: CodeInvalid,
	Message: "The answer from your passkey could not be read. Please try again."}

// relyingParty is the WebAuthn configuration for a base URL: its host
// (without the port) is the relying party id, and its origin the only one
// a browser's answer may come from. nil, with an error saying why, when
// the host cannot be one (an IP address, or no URL at all).
func relyingParty(base *url.URL) (*webauthn.WebAuthn, error) {
	if base == nil || base.Hostname() == "" {
		return nil, errors.New("no base URL")
	}
	host := strings.ToLower(base.Hostname())
	return webauthn.New(&webauthn.Config{
		RPID:          host,
		RPDisplayName: "Latchkey",
		RPOrigins:     []string{strings.ToLower(base.Scheme) + "://" + strings.ToLower(base.Host)},
		// Discoverable credentials with user verification: the passkey
		// names the account and is two factors in itself.
		AuthenticatorSelection: protocol.AuthenticatorSelection{
			ResidentKey:        protocol.ResidentKeyRequirementRequired,
			RequireResidentKey: protocol.ResidentKeyRequired(),
			UserVerification:   protocol.VerificationRequired,
		},
		AttestationPreference: protocol.PreferNoAttestation,
		// What the browser is told to wait; the server holds a ceremony
		// as long (CeremonyTTL) by its own clock.
		Timeouts: webauthn.TimeoutsConfig{
			Login:        webauthn.TimeoutConfig{Timeout: CeremonyTTL, TimeoutUVD: CeremonyTTL},
			Registration: webauthn.TimeoutConfig{Timeout: CeremonyTTL, TimeoutUVD: CeremonyTTL},
		},
	})
}

// PasskeysOn reports whether passkeys work with this server's base URL.
func (s *Service) PasskeysOn() bool { return s.rp != nil }

// PasskeyOptions is the first step of a ceremony as the browser gets it.
type PasskeyOptions struct {
	// Ceremony is the handle the second step sends back.
	Ceremony string
	// Options are for navigator.credentials.create or .get: a JSON object
	// whose "publicKey" member is PublicKeyCredentialCreationOptionsJSON
	// or PublicKeyCredentialRequestOptionsJSON.
	Options json.RawMessage
}

// beginCeremony stores a ceremony's session data (and the name of the
// passkey a registration adds) and returns the handle and options the
// browser needs.
func (s *Service) beginCeremony(ctx context.Context, kind CeremonyKind, userID, name string, session *webauthn.SessionData, options any) (*PasskeyOptions, error) {
	opts, err := json.Marshal(options)
	if err != nil {
		return nil, fmt.Errorf("passkey options: %w", err)
	}
	raw, now := NewOpaqueToken(), s.timestamp()
	c := &PasskeyCeremony{ID: newID(), TokenHash: HashToken(raw), UserID: userID, Kind: kind,
		Session: *session, Name: name, CreatedAt: now, ExpiresAt: now.Add(CeremonyTTL)}
	if err := s.store.CreatePasskeyCeremony(ctx, c); err != nil {
		return nil, err
	}
	return &PasskeyOptions{Ceremony: raw, Options: opts}, nil
}

// takeCeremony uses up a ceremony for its second step.
func (s *Service) takeCeremony(ctx context.Context, raw string, kind CeremonyKind, userID string) (*PasskeyCeremony, error) {
	if raw == "" || len(raw) > 100 {
		return nil, errCeremonyGone
	}
	c, err := s.store.TakePasskeyCeremony(ctx, HashToken(raw), kind, userID, s.timestamp())
	if errors.Is(err, ErrNotFound) {
		return nil, errCeremonyGone
	}
	return c, err
}

// webauthnUser is a user as the WebAuthn library sees one: the user
// handle is the 16 bytes of the account's id (no name or address, which
// an authenticator may show to anyone holding it), and the credentials
// are those the ceremony may use.
type webauthnUser struct {
	u     *User
	creds []webauthn.Credential
}

func (w webauthnUser) WebAuthnID() []byte {
	id := uuid.MustParse(w.u.ID)
	return id[:]
}

func (w webauthnUser) WebAuthnName() string                       { return w.u.Username }
func (w webauthnUser) WebAuthnDisplayName() string                { return w.u.Username }
func (w webauthnUser) WebAuthnCredentials() []webauthn.Credential { return w.creds }

// userIDFromHandle is the account id a user handle names, or "" when it
// is not one of ours.
func userIDFromHandle(handle []byte) string {
	id, err := uuid.FromBytes(handle)
	if err != nil {
		return ""
	}
	return id.String()
}

// checkPasskeyName trims a passkey's name and checks it: plain text, at
// most MaxPasskeyName characters. Empty gives fallback, or a problem when
// there is none.
func checkPasskeyName(name, fallback string) (string, []FieldError) {
	name = strings.TrimSpace(name)
	var msg string
	switch {
	case !PlainText(name, false):
		msg = "Remove the control or invalid characters from the name."
	case utf8.RuneCountInString(name) > MaxPasskeyName:
		msg = fmt.Sprintf("Use at most %d characters for the name.", MaxPasskeyName)
	case name == "" && fallback == "":
		msg = "Enter a name for the passkey."
	case name == "":
		name = fallback
	}
	if msg != "" {
		return "", []FieldError{{Field: "name", Code: "invalid_name", Message: msg}}
	}
	return name, nil
}
