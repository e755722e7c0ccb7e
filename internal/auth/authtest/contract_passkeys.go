package authtest

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/latchkey/latchkey/internal/auth"
)

func passkeyTests() []storeTest {
	return []storeTest{
		{"PasskeyRoundTrip", testPasskeyRoundTrip},
		{"PasskeysAreTheirOwners", testPasskeysOfOthers},
		{"PasskeyCredentialUnique", testPasskeyCredentialUnique},
		{"PasskeysGoWithTheirUser", testPasskeysDeletedWithUser},
		{"CeremonyTakenOnce", testCeremonyTakenOnce},
		{"ConcurrentCeremonyTakes", testConcurrentCeremonyTakes},
		{"PurgeDropsExpiredCeremonies", testPurgeCeremonies},
	}
}

// newPasskey returns a passkey of u's, not stored yet, whose credential id
// is id.
func newPasskey(u *auth.User, id string, at time.Time) *auth.Passkey {
	return &auth.Passkey{ID: newID(), UserID: u.ID, Name: "Key " + id, CreatedAt: at, Credential: webauthn.Credential{
		ID:            []byte(id),
		PublicKey:     []byte{0xa5, 0x01, 0x02, 0x03, 0x26},
		Transport:     []protocol.AuthenticatorTransport{protocol.Internal, protocol.Hybrid},
		Flags:         webauthn.CredentialFlags{UserPresent: true, UserVerified: true, BackupEligible: true},
		Authenticator: webauthn.Authenticator{AAGUID: bytes.Repeat([]byte{7}, 16), SignCount: 3},
	}}
}

// testPasskeyRoundTrip: a passkey comes back as stored, by its owner's
// list and by its credential id (with its owner); its use updates the
// credential and the time; rename and delete change it, and the events
// given with the add and the delete are written with them.
func testPasskeyRoundTrip(t *testing.T, s auth.Store) {
	ctx := context.Background()
	u := mustUser(t, s, "alice")
	first, second := newPasskey(u, "cred-1", t0), newPasskey(u, "cred-2", t0.Add(time.Minute))
	added := newEvent(auth.EventPasskeyAdded, u.ID, t0)
	NoError(t, s.CreatePasskey(ctx, second))
	NoError(t, s.CreatePasskey(ctx, first, added))

	list, err := s.ListPasskeys(ctx, u.ID)
	NoError(t, err)
	if len(list) != 2 || list[0].ID != first.ID || list[1].ID != second.ID {
		t.Fatalf("list, oldest first: %+v", list)
	}
	got := list[0]
	c := got.Credential
	if got.UserID != u.ID || got.Name != "Key cred-1" || !got.CreatedAt.Equal(t0) || got.CreatedAt.Location() != time.UTC ||
		got.LastUsedAt != nil || string(c.ID) != "cred-1" || !bytes.Equal(c.PublicKey, first.Credential.PublicKey) ||
		len(c.Transport) != 2 || c.Transport[1] != protocol.Hybrid || !c.Flags.BackupEligible || !c.Flags.UserVerified ||
		c.Authenticator.SignCount != 3 || !bytes.Equal(c.Authenticator.AAGUID, first.Credential.Authenticator.AAGUID) {
		t.Fatalf("read back %+v, wrote %+v", got, first)
	}

	byID, owner, err := s.PasskeyByCredentialID(ctx, []byte("cred-2"))
	NoError(t, err)
	if byID.ID != second.ID || owner.ID != u.ID || owner.Username != "alice" {
		t.Fatalf("by credential id: %+v of %+v", byID, owner)
	}
	if _, _, err := s.PasskeyByCredentialID(ctx, []byte("cred-3")); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("unknown credential id: %v", err)
	}

	used := t0.Add(time.Hour)
	byID.Credential.Authenticator.SignCount = 9
	NoError(t, s.UsePasskey(ctx, byID, used))
	again, _, err := s.PasskeyByCredentialID(ctx, []byte("cred-2"))
	NoError(t, err)
	if again.Credential.Authenticator.SignCount != 9 || again.LastUsedAt == nil || !again.LastUsedAt.Equal(used) {
		t.Fatalf("after use: %+v", again)
	}

	NoError(t, s.RenamePasskey(ctx, u.ID, first.ID, "Phone"))
	removed := newEvent(auth.EventPasskeyRemoved, u.ID, t0.Add(2*time.Hour))
	NoError(t, s.DeletePasskey(ctx, u.ID, second.ID, removed))
	list, err = s.ListPasskeys(ctx, u.ID)
	NoError(t, err)
	if len(list) != 1 || list[0].Name != "Phone" {
		t.Fatalf("after rename and delete: %+v", list)
	}
	if err := s.UsePasskey(ctx, second, used); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("use of a deleted passkey: %v", err)
	}
	events, err := s.ListEvents(ctx, auth.EventQuery{UserID: u.ID, Limit: 10})
	NoError(t, err)
	EqualSlices(t, ids(events), []string{removed.ID, added.ID})
}

// testPasskeysOfOthers: one user cannot rename or delete another's
// passkey, nor one that does not exist, and a refused delete records
// nothing.
func testPasskeysOfOthers(t *testing.T, s auth.Store) {
	ctx := context.Background()
	alice, bob := mustUser(t, s, "alice"), mustUser(t, s, "bob")
	pk := newPasskey(alice, "alice-key", t0)
	NoError(t, s.CreatePasskey(ctx, pk))
	for name, err := range map[string]error{
		"rename another's": s.RenamePasskey(ctx, bob.ID, pk.ID, "mine"),
		"delete another's": s.DeletePasskey(ctx, bob.ID, pk.ID, newEvent(auth.EventPasskeyRemoved, bob.ID, t0)),
		"rename unknown":   s.RenamePasskey(ctx, alice.ID, newID(), "x"),
		"delete unknown":   s.DeletePasskey(ctx, alice.ID, newID()),
	} {
		if !errors.Is(err, auth.ErrNotFound) {
			t.Errorf("%s: %v, want ErrNotFound", name, err)
		}
	}
	list, err := s.ListPasskeys(ctx, alice.ID)
	NoError(t, err)
	if len(list) != 1 || list[0].Name != pk.Name {
		t.Fatalf("alice's passkeys after bob's tries: %+v", list)
	}
	list, err = s.ListPasskeys(ctx, bob.ID)
	NoError(t, err)
	Equal(t, len(list), 0)
	events, err := s.ListEvents(ctx, auth.EventQuery{Limit: 10})
	NoError(t, err)
	Equal(t, len(events), 0)
}

// testPasskeyCredentialUnique: a credential is stored once, whoever adds
// it again, and the refused add records nothing.
func testPasskeyCredentialUnique(t *testing.T, s auth.Store) {
	ctx := context.Background()
	alice, bob := mustUser(t, s, "alice"), mustUser(t, s, "bob")
	NoError(t, s.CreatePasskey(ctx, newPasskey(alice, "same", t0)))
	for _, u := range []*auth.User{alice, bob} {
		err := s.CreatePasskey(ctx, newPasskey(u, "same", t0), newEvent(auth.EventPasskeyAdded, u.ID, t0))
		if !errors.Is(err, auth.ErrPasskeyTaken) {
			t.Fatalf("%s adds a stored credential: %v, want ErrPasskeyTaken", u.Username, err)
		}
	}
	events, err := s.ListEvents(ctx, auth.EventQuery{Limit: 10})
	NoError(t, err)
	Equal(t, len(events), 0)
}

// testPasskeysDeletedWithUser: deleting an account deletes its passkeys
// and its ceremonies.
func testPasskeysDeletedWithUser(t *testing.T, s auth.Store) {
	ctx := context.Background()
	u := mustUser(t, s, "alice")
	NoError(t, s.CreatePasskey(ctx, newPasskey(u, "gone", t0)))
	c := newCeremony(auth.CeremonyRegister, u.ID, "pending")
	NoError(t, s.CreatePasskeyCeremony(ctx, c))
	NoError(t, s.DeleteUser(ctx, u.ID))
	if _, _, err := s.PasskeyByCredentialID(ctx, []byte("gone")); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("the passkey of a deleted user: %v", err)
	}
	if _, err := s.TakePasskeyCeremony(ctx, "pending", auth.CeremonyRegister, u.ID, t0); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("the ceremony of a deleted user: %v", err)
	}
}

// newCeremony returns a ceremony of userID's ("" for a login) under
// tokenHash, begun at t0.
func newCeremony(kind auth.CeremonyKind, userID, tokenHash string) *auth.PasskeyCeremony {
	return &auth.PasskeyCeremony{ID: newID(), TokenHash: tokenHash, UserID: userID, Kind: kind,
		Session: webauthn.SessionData{Challenge: "challenge-" + tokenHash, UserID: []byte(userID),
			UserVerification: protocol.VerificationRequired},
		CreatedAt: t0, ExpiresAt: t0.Add(auth.CeremonyTTL)}
}

// testCeremonyTakenOnce: a ceremony comes back whole, once; asked for as
// another kind, for another user or after it expired, it is not found and
// stays for the right request (until it expires).
func testCeremonyTakenOnce(t *testing.T, s auth.Store) {
	ctx := context.Background()
	u, other := mustUser(t, s, "alice"), mustUser(t, s, "bob")
	reg := newCeremony(auth.CeremonyRegister, u.ID, "reg")
	reg.Name = "Téléphone"
	login := newCeremony(auth.CeremonyLogin, "", "login")
	NoError(t, s.CreatePasskeyCeremony(ctx, reg))
	NoError(t, s.CreatePasskeyCeremony(ctx, login))
	now := t0.Add(time.Minute)
	for name, take := range map[string]func() error{
		"as a login":        func() error { return second(s.TakePasskeyCeremony(ctx, "reg", auth.CeremonyLogin, "", now)) },
		"by another user":   func() error { return second(s.TakePasskeyCeremony(ctx, "reg", auth.CeremonyRegister, other.ID, now)) },
		"a login as a user": func() error { return second(s.TakePasskeyCeremony(ctx, "login", auth.CeremonyLogin, u.ID, now)) },
		"after it expired": func() error {
			return second(s.TakePasskeyCeremony(ctx, "reg", auth.CeremonyRegister, u.ID, reg.ExpiresAt))
		},
		"an unknown handle":  func() error { return second(s.TakePasskeyCeremony(ctx, "other", auth.CeremonyLogin, "", now)) },
		"the wrong kind too": func() error { return second(s.TakePasskeyCeremony(ctx, "login", auth.CeremonyRegister, "", now)) },
	} {
		if err := take(); !errors.Is(err, auth.ErrNotFound) {
			t.Errorf("take %s: %v, want ErrNotFound", name, err)
		}
	}
	got, err := s.TakePasskeyCeremony(ctx, "reg", auth.CeremonyRegister, u.ID, now)
	NoError(t, err)
	if got.ID != reg.ID || got.UserID != u.ID || got.Kind != auth.CeremonyRegister || got.Name != "Téléphone" || !got.CreatedAt.Equal(t0) ||
		!got.ExpiresAt.Equal(reg.ExpiresAt) || got.Session.Challenge != "challenge-reg" ||
		string(got.Session.UserID) != u.ID || got.Session.UserVerification != protocol.VerificationRequired {
		t.Fatalf("took %+v, stored %+v", got, reg)
	}
	got, err = s.TakePasskeyCeremony(ctx, "login", auth.CeremonyLogin, "", now)
	NoError(t, err)
	if got.ID != login.ID || got.UserID != "" || got.Kind != auth.CeremonyLogin || got.Name != "" {
		t.Fatalf("took %+v, stored %+v", got, login)
	}
	if _, err := s.TakePasskeyCeremony(ctx, "reg", auth.CeremonyRegister, u.ID, now); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("the registration taken twice: %v", err)
	}
	if _, err := s.TakePasskeyCeremony(ctx, "login", auth.CeremonyLogin, "", now); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("the login taken twice: %v", err)
	}
}

// testConcurrentCeremonyTakes: of many takes of one ceremony at once,
// exactly one gets it.
func testConcurrentCeremonyTakes(t *testing.T, s auth.Store) {
	ctx := context.Background()
	NoError(t, s.CreatePasskeyCeremony(ctx, newCeremony(auth.CeremonyLogin, "", "race")))
	const n = 10
	var (
		wg         sync.WaitGroup
		mu         sync.Mutex
		won, gone  int
		otherError []error
	)
	start := make(chan struct{})
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, err := s.TakePasskeyCeremony(ctx, "race", auth.CeremonyLogin, "", t0.Add(time.Second))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				won++
			case errors.Is(err, auth.ErrNotFound):
				gone++
			default:
				otherError = append(otherError, err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if won != 1 || gone != n-1 || len(otherError) > 0 {
		t.Fatalf("%d took it, %d found it gone, other errors %v; want 1 and %d", won, gone, otherError, n-1)
	}
}

// testPurgeCeremonies: expired ceremonies go, live ones stay.
func testPurgeCeremonies(t *testing.T, s auth.Store) {
	ctx := context.Background()
	old, live := newCeremony(auth.CeremonyLogin, "", "old"), newCeremony(auth.CeremonyLogin, "", "live")
	live.ExpiresAt = t0.Add(time.Hour)
	NoError(t, s.CreatePasskeyCeremony(ctx, old))
	NoError(t, s.CreatePasskeyCeremony(ctx, live))
	now := t0.Add(30 * time.Minute)
	n, err := s.Purge(ctx, now, now, t0)
	NoError(t, err)
	Equal(t, n, int64(1))
	if _, err := s.TakePasskeyCeremony(ctx, "live", auth.CeremonyLogin, "", now); err != nil {
		t.Fatalf("the live ceremony was purged: %v", err)
	}
}
