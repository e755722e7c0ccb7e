package auth

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
)

// errNoPasskey answers a passkey id that is not one of the caller's.
var errNoPasskey = &Error{Code: CodeNotFound, Message: "You have no passkey with that id."}

// Passkeys lists the caller's passkeys, oldest first.
func (s *Service) Passkeys(ctx context.Context, p *Principal) ([]*Passkey, error) {
	return s.store.ListPasskeys(ctx, p.User.ID)
}

// BeginPasskeyRegistration starts adding a passkey called name ("" for
// "Passkey N") to the caller's account, after checking the current
// password: a passkey logs in on its own, and without the password
// someone holding a stolen session could add one and keep their way in
// after the owner changes the password (which ends every other session,
// not a passkey). Failures count toward the account's throttle, as for an
// e-mail change. The name is checked now, before the authenticator makes
// anything, and kept with the ceremony. The authenticator is told which
// credentials the account has already, so that it makes no second
// passkey where it holds one.
func (s *Service) BeginPasskeyRegistration(ctx context.Context, p *Principal, name, currentPassword string) (*PasskeyOptions, error) {
	if s.rp == nil {
		return nil, ErrPasskeysOff
	}
	list, err := s.store.ListPasskeys(ctx, p.User.ID)
	if err != nil {
		return nil, err
	}
	name, fields := checkPasskeyName(name, "Passkey "+strconv.Itoa(len(list)+1))
	if currentPassword == "" {
		fields = append(fields, FieldError{Field: "current_password", Code: "required", Message: "Enter your current password to add a passkey."})
	}
	if len(fields) > 0 {
		return nil, &Error{Code: CodeInvalid, Message: "Some fields need attention.", Fields: fields}
	}
	if len(list) >= MaxPasskeys {
		return nil, Errorf(CodeInvalid, "You have %d passkeys, the most an account may have: remove one first.", MaxPasskeys)
	}
	if err := s.confirmPassword(ctx, p.User, currentPassword); err != nil {
		return nil, err
	}
	creds := make(webauthn.Credentials, len(list))
	for i, pk := range list {
		creds[i] = pk.Credential
	}
	creation, session, err := s.rp.BeginRegistration(webauthnUser{u: p.User, creds: creds},
		webauthn.WithExclusions(creds.CredentialDescriptors()))
	if err != nil {
		return nil, fmt.Errorf("begin passkey registration: %w", err)
	}
	return s.beginCeremony(ctx, CeremonyRegister, p.User.ID, name, session, creation)
}

// FinishPasskeyRegistration checks the browser's answer to a
// BeginPasskeyRegistration of the same caller (response is the new
// PublicKeyCredential as JSON) and stores the passkey under the name
// given then, recording passkey.added with it.
func (s *Service) FinishPasskeyRegistration(ctx context.Context, p *Principal, ceremony string, response []byte) (*Passkey, error) {
	if s.rp == nil {
		return nil, ErrPasskeysOff
	}
	cer, err := s.takeCeremony(ctx, ceremony, CeremonyRegister, p.User.ID)
	if err != nil {
		return nil, err
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(response)
	if err != nil {
		return nil, fmt.Errorf("%w (%v)", errUnreadableAnswer, err)
	}
	cred, err := s.rp.CreateCredential(webauthnUser{u: p.User}, cer.Session, parsed)
	if err != nil {
		return nil, fmt.Errorf("%w (%v)", &Error{Code: CodeInvalid,
			Message: "Your passkey's answer could not be verified, so it was not added. Please try again."}, err)
	}
	now := s.timestamp()
	pk := &Passkey{ID: newID(), UserID: p.User.ID, Credential: *cred, Name: cer.Name, CreatedAt: now}
	if err := s.store.CreatePasskey(ctx, pk,
		s.selfEvent(EventPasskeyAdded, now, p).with("passkey_id", pk.ID, "name", pk.Name)); err != nil {
		return nil, err
	}
	return pk, nil
}

// RenamePasskey renames one of the caller's passkeys; another user's is
// not found.
func (s *Service) RenamePasskey(ctx context.Context, p *Principal, passkeyID, name string) error {
	name, fields := checkPasskeyName(name, "")
	if len(fields) > 0 {
		return &Error{Code: CodeInvalid, Message: "Some fields need attention.", Fields: fields}
	}
	if !WellFormedID(passkeyID) {
		return errNoPasskey
	}
	err := s.store.RenamePasskey(ctx, p.User.ID, passkeyID, name)
	if errors.Is(err, ErrNotFound) {
		return errNoPasskey
	}
	return err
}

// RemovePasskey deletes one of the caller's passkeys, recording
// passkey.removed with its name; another user's is not found. The
// authenticator still holds its half, and a login with it is then told
// that it is not registered here.
func (s *Service) RemovePasskey(ctx context.Context, p *Principal, passkeyID string) error {
	if !WellFormedID(passkeyID) {
		return errNoPasskey
	}
	list, err := s.store.ListPasskeys(ctx, p.User.ID)
	if err != nil {
		return err
	}
	for _, pk := range list {
		if pk.ID != passkeyID {
			continue
		}
		now := s.timestamp()
		err := s.store.DeletePasskey(ctx, p.User.ID, passkeyID,
			s.selfEvent(EventPasskeyRemoved, now, p).with("passkey_id", pk.ID, "name", pk.Name))
		if errors.Is(err, ErrNotFound) {
			return errNoPasskey // removed meanwhile
		}
		return err
	}
	return errNoPasskey
}
