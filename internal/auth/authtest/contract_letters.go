package authtest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/auth"
)

func letterTests() []storeTest {
	return []storeTest{
		{"CreateUserWithLetter", testCreateUserWithLetter},
		{"UseTokenOnce", testUseTokenOnce},
		{"UseTokenBoundToAddress", testUseTokenBoundToAddress},
		{"ApplyChangeAllOrNothing", testApplyChangeAllOrNothing},
		{"RequestMailLimits", testRequestMailLimits},
		{"ConcurrentRequestMail", testConcurrentRequestMail},
	}
}

// newToken returns a token row of kind for u at address, and its raw value
// (here simply its hash's input: the store never sees the raw token).
func newToken(u *auth.User, kind auth.TokenKind, address string, at time.Time) *auth.OneTimeToken {
	return &auth.OneTimeToken{ID: newID(), Kind: kind, UserID: u.ID, Email: address,
		TokenHash: "hash-" + newID(), CreatedAt: at, ExpiresAt: at.Add(kind.TTL())}
}

func newMail(u *auth.User, kind auth.MailKind, at time.Time) *auth.Mail {
	return &auth.Mail{ID: newID(), Kind: kind, UserID: u.ID, To: u.Email, Username: u.Username, Token: "raw", CreatedAt: at}
}

// testCreateUserWithLetter: the account and its verification token are
// stored together, and the token reads back with its user.
func testCreateUserWithLetter(t *testing.T, s auth.Store) {
	ctx := context.Background()
	u := NewUser("alice", "alice@example.com", t0)
	tok := newToken(u, auth.TokenVerifyEmail, u.Email, t0)
	NoError(t, s.CreateUser(ctx, u, []auth.Letter{{Token: tok, Mail: newMail(u, auth.MailVerifyEmail, t0)}}))
	got, gu, err := s.OneTimeTokenByHash(ctx, tok.TokenHash)
	NoError(t, err)
	if got.ID != tok.ID || got.Kind != auth.TokenVerifyEmail || got.Email != u.Email || !got.ExpiresAt.Equal(tok.ExpiresAt) || got.UsedAt != nil || gu.ID != u.ID {
		t.Fatalf("token %+v of %+v", got, gu)
	}
	if gu.EmailVerifiedAt != nil || gu.PendingEmail != "" {
		t.Fatalf("a new user is unverified with nothing pending: %+v", gu)
	}
	// A taken username stores neither the account nor its letter.
	dup := NewUser("ALICE", "other@example.com", t0)
	dupTok := newToken(dup, auth.TokenVerifyEmail, dup.Email, t0)
	if err := s.CreateUser(ctx, dup, []auth.Letter{{Token: dupTok, Mail: newMail(dup, auth.MailVerifyEmail, t0)}}); !errors.Is(err, auth.ErrUsernameTaken) {
		t.Fatalf("duplicate: %v", err)
	}
	if _, _, err := s.OneTimeTokenByHash(ctx, dupTok.TokenHash); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("the token of an account that was not created: %v", err)
	}
	// Deleting the account deletes its tokens.
	NoError(t, s.DeleteUser(ctx, u.ID))
	if _, _, err := s.OneTimeTokenByHash(ctx, tok.TokenHash); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("a deleted account's token: %v", err)
	}
}

// testUseTokenOnce: of concurrent uses exactly one wins; an expired token
// and a used one never do.
func testUseTokenOnce(t *testing.T, s auth.Store) {
	ctx := context.Background()
	u := mustUser(t, s, "bob")
	tok := newToken(u, auth.TokenVerifyEmail, u.Email, t0)
	NoError(t, s.ApplyChange(ctx, auth.Change{UserID: u.ID, At: t0, Letters: []auth.Letter{{Token: tok}}}))
	at := t0.Add(time.Minute)
	var (
		wg   sync.WaitGroup
		wins atomic.Int32
	)
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			switch err := s.UseToken(ctx, tok.ID, auth.Change{UserID: u.ID, At: at, VerifyEmail: true}); {
			case err == nil:
				wins.Add(1)
			case !errors.Is(err, auth.ErrNotFound):
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	Equal(t, wins.Load(), int32(1))
	got, gu, err := s.OneTimeTokenByHash(ctx, tok.TokenHash)
	NoError(t, err)
	if got.UsedAt == nil || !got.UsedAt.Equal(at) || gu.EmailVerifiedAt == nil || !gu.EmailVerifiedAt.Equal(at) {
		t.Fatalf("after the use: token %+v, user %+v", got, gu)
	}

	late := newToken(u, auth.TokenResetPassword, u.Email, t0)
	NoError(t, s.ApplyChange(ctx, auth.Change{UserID: u.ID, At: t0, Letters: []auth.Letter{{Token: late}}}))
	err = s.UseToken(ctx, late.ID, auth.Change{UserID: u.ID, At: late.ExpiresAt, PasswordHash: "new"})
	if !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("a token used at its expiry: %v", err)
	}
	if gu, _ := s.UserByID(ctx, u.ID); gu.PasswordHash == "new" {
		t.Fatal("an expired token changed the password")
	}
}

// testUseTokenBoundToAddress: a token is dead once its address is no
// longer the user's (the pending one, for a confirmation), or its user is
// disabled; an undo token outlives the change it undoes.
func testUseTokenBoundToAddress(t *testing.T, s auth.Store) {
	ctx := context.Background()
	u := mustUser(t, s, "carol")
	at := t0.Add(time.Minute)
	reset := newToken(u, auth.TokenResetPassword, u.Email, t0)
	confirm := newToken(u, auth.TokenConfirmEmail, "new@example.com", t0)
	undo := newToken(u, auth.TokenUndoEmailChange, u.Email, t0)
	other := newToken(u, auth.TokenConfirmEmail, "other@example.com", t0)
	NoError(t, s.ApplyChange(ctx, auth.Change{UserID: u.ID, At: t0, PendingEmail: "new@example.com",
		Letters: []auth.Letter{{Token: reset}, {Token: confirm}, {Token: undo}, {Token: other}}}))

	if err := s.UseToken(ctx, other.ID, auth.Change{UserID: u.ID, At: at}); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("confirming an address that is not the pending one: %v", err)
	}
	NoError(t, s.UseToken(ctx, confirm.ID, auth.Change{UserID: u.ID, At: at, Email: "new@example.com", ClearPending: true, VerifyEmail: true}))
	gu, err := s.UserByID(ctx, u.ID)
	NoError(t, err)
	if gu.Email != "new@example.com" || gu.PendingEmail != "" || gu.EmailVerifiedAt == nil {
		t.Fatalf("after the confirmation: %+v", gu)
	}
	if err := s.UseToken(ctx, reset.ID, auth.Change{UserID: u.ID, At: at, PasswordHash: "x"}); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("a reset link sent to the old address, after the change: %v", err)
	}
	NoError(t, s.UseToken(ctx, undo.ID, auth.Change{UserID: u.ID, At: at, Email: u.Email}))

	disabled := newToken(u, auth.TokenResetPassword, u.Email, t0)
	NoError(t, s.ApplyChange(ctx, auth.Change{UserID: u.ID, At: t0, Letters: []auth.Letter{{Token: disabled}}}))
	NoError(t, s.ApplyChange(ctx, auth.Change{UserID: u.ID, At: at, Disable: true}))
	if err := s.UseToken(ctx, disabled.ID, auth.Change{UserID: u.ID, At: at}); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("a disabled account's token: %v", err)
	}
}

// testApplyChangeAllOrNothing: a change that fails half-way (the address
// is taken) writes none of itself: the password, the sessions and the
// letters stay as they were.
func testApplyChangeAllOrNothing(t *testing.T, s auth.Store) {
	ctx := context.Background()
	u := mustUser(t, s, "dave")
	mustUser(t, s, "erin")
	ss, rt := NewSession(u, auth.SessionAPI, t0, "dave-refresh")
	NoError(t, s.CreateSession(ctx, ss, rt))
	tok := newToken(u, auth.TokenResetPassword, u.Email, t0)
	at := t0.Add(time.Minute)
	err := s.ApplyChange(ctx, auth.Change{UserID: u.ID, At: at, PasswordHash: "new", Email: "erin@example.com",
		RevokeSessions: true, Letters: []auth.Letter{{Token: tok}}})
	if !errors.Is(err, auth.ErrEmailTaken) {
		t.Fatalf("moving to a taken address: %v", err)
	}
	gu, err := s.UserByID(ctx, u.ID)
	NoError(t, err)
	if gu.PasswordHash == "new" || gu.Email != u.Email {
		t.Fatalf("half a change was written: %+v", gu)
	}
	if got, _, err := s.SessionWithUser(ctx, ss.ID); err != nil || got.RevokedAt != nil {
		t.Fatalf("the session after a failed change: %+v %v", got, err)
	}
	if _, _, err := s.OneTimeTokenByHash(ctx, tok.TokenHash); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("the letter of a failed change: %v", err)
	}

	// A whole change: the password, every session but one, the failures,
	// the earlier tokens.
	keep, keepRT := NewSession(u, auth.SessionAPI, t0, "dave-keep")
	NoError(t, s.CreateSession(ctx, keep, keepRT))
	NoError(t, s.ApplyChange(ctx, auth.Change{UserID: u.ID, At: t0, Letters: []auth.Letter{{Token: tok}}}))
	_, ok, _, err := s.ReserveLoginAttempt(ctx, "user:"+u.ID, t0, t0.Add(-time.Hour), 10)
	NoError(t, err)
	Equal(t, ok, true)
	NoError(t, s.ApplyChange(ctx, auth.Change{UserID: u.ID, At: at, PasswordHash: "new", RevokeSessions: true,
		KeepSession: keep.ID, ClearFailures: "user:" + u.ID, EndTokens: []auth.TokenKind{auth.TokenResetPassword}}))
	gu, _ = s.UserByID(ctx, u.ID)
	Equal(t, gu.PasswordHash, "new")
	if got, _, _ := s.SessionWithUser(ctx, ss.ID); got.RevokedAt == nil {
		t.Error("the other session survived")
	}
	if got, _, _ := s.SessionWithUser(ctx, keep.ID); got.RevokedAt != nil {
		t.Error("the kept session was revoked")
	}
	if n, _, _ := s.LoginFailures(ctx, "user:"+u.ID, t0.Add(-time.Hour)); n != 0 {
		t.Errorf("%d failures left", n)
	}
	if got, _, _ := s.OneTimeTokenByHash(ctx, tok.TokenHash); got.UsedAt == nil {
		t.Error("the reset token survived")
	}
}

// testRequestMailLimits: one request a minute and five an hour per key;
// a dropped request stores no token and ends none.
func testRequestMailLimits(t *testing.T, s auth.Store) {
	ctx := context.Background()
	u := mustUser(t, s, "frank")
	var (
		kept []*auth.OneTimeToken
		at   = t0
	)
	request := func(at time.Time) (bool, *auth.OneTimeToken) {
		t.Helper()
		tok := newToken(u, auth.TokenResetPassword, u.Email, at)
		ok, err := s.RequestMail(ctx, "reset:frank", at, auth.MailPerHour, auth.Letter{Token: tok, Mail: newMail(u, auth.MailResetPassword, at)})
		NoError(t, err)
		return ok, tok
	}
	for i := range 5 {
		ok, tok := request(at)
		if !ok {
			t.Fatalf("request %d, a minute after the last, was dropped", i+1)
		}
		kept = append(kept, tok)
		if ok, tok := request(at.Add(30 * time.Second)); ok {
			t.Fatalf("a second request within a minute was sent")
		} else if _, _, err := s.OneTimeTokenByHash(ctx, tok.TokenHash); !errors.Is(err, auth.ErrNotFound) {
			t.Fatalf("a dropped request stored its token: %v", err)
		}
		at = at.Add(time.Minute)
	}
	if ok, _ := request(at); ok {
		t.Fatal("a sixth request within the hour was sent")
	}
	// The newest token is the live one: each request ended the one before,
	// and the dropped sixth ended none.
	for i, tok := range kept {
		got, _, err := s.OneTimeTokenByHash(ctx, tok.TokenHash)
		NoError(t, err)
		if live := got.UsedAt == nil; live != (i == len(kept)-1) {
			t.Errorf("token %d live = %v", i, live)
		}
	}
	if ok, _ := request(t0.Add(time.Hour + time.Second)); !ok {
		t.Fatal("a request an hour after the first was dropped")
	}
	// Another key has its own budget; a request queued as it came, with
	// no account or token (resolved when sent), counts the same.
	asked := func() *auth.Mail {
		return &auth.Mail{ID: newID(), Kind: auth.MailResetPassword, To: "nobody@example.com", CreatedAt: at}
	}
	ok, err := s.RequestMail(ctx, "reset:nobody", at, auth.MailPerHour, auth.Letter{Mail: asked()})
	NoError(t, err)
	Equal(t, ok, true)
	ok, err = s.RequestMail(ctx, "reset:nobody", at, auth.MailPerHour, auth.Letter{Mail: asked()})
	NoError(t, err)
	Equal(t, ok, false)
}

// testConcurrentRequestMail: requests for one key sent at once (from
// several instances) send one mail, not one each.
func testConcurrentRequestMail(t *testing.T, s auth.Store) {
	ctx := context.Background()
	u := mustUser(t, s, "grace")
	var (
		wg   sync.WaitGroup
		sent atomic.Int32
	)
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok := newToken(u, auth.TokenLoginLink, u.Email, t0)
			tok.TokenHash = fmt.Sprint("concurrent-", i)
			ok, err := s.RequestMail(ctx, "login:grace", t0, auth.MailPerHour, auth.Letter{Token: tok, Mail: newMail(u, auth.MailLoginLink, t0)})
			if err != nil {
				t.Error(err)
			}
			if ok {
				sent.Add(1)
			}
		}()
	}
	wg.Wait()
	Equal(t, sent.Load(), int32(1))
}
