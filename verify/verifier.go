package verify

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/MicahParks/jwkset"
	"golang.org/x/sync/singleflight"
	"golang.org/x/time/rate"
)

const (
	// DefaultRefreshInterval is how often a Verifier fetches the JWK Set in
	// the background: LATCHKEY_JWKS_MAX_AGE's default, the time Latchkey
	// publishes a planned key before it signs with it.
	DefaultRefreshInterval = 5 * time.Minute
	// UnknownKIDRefetchFloor is the least time between two fetches that
	// tokens with unknown kids cause: a key rotated in at once (latchkey keys
	// rotate --now) is picked up by the first token it signed, and a flood
	// of made-up kids costs Latchkey one request per floor, not one per
	// token.
	UnknownKIDRefetchFloor = 30 * time.Second
	// fetchTimeout bounds every fetch of the JWK Set, so that a request
	// whose kid caused one does not hang on an unreachable Latchkey.
	fetchTimeout = 5 * time.Second
)

// errUnknownKID is the reason for a kid the JWK Set does not have; it says
// what Latchkey's own verifier says.
var errUnknownKID = errors.New("unknown or withdrawn kid")

// A Verifier checks Latchkey's access tokens with the keys Latchkey
// publishes at /.well-known/jwks.json, exactly as Latchkey's own API checks
// them (Parser): the one algorithm configured (never "none", never HS256
// with a public key), typ at+jwt, a kid the JWK Set has, iss, aud, exp
// (required), nbf, sub, sid, jti, iat and a role of user or admin.
//
// It keeps the JWK Set in memory and fetches it again in the background
// (DefaultRefreshInterval) and when a token names a kid it does not know,
// at most once per UnknownKIDRefetchFloor. When Latchkey cannot be reached
// it goes on with the keys it has.
//
// Revocation is beyond it: a token verifies until its exp even if its
// session was ended. Services that must see a logout at once ask Latchkey
// (forward authentication or token introspection) instead.
//
// A Verifier is safe for concurrent use.
type Verifier struct {
	alg    string
	parser *Parser
	now    func() time.Time
	cache  *Cache       // nil when off
	misses atomic.Int64 // verifications that had to parse the token, for tests

	// JWK Set mode.
	keys    jwkset.Storage // the keys last fetched; reading fetches nothing
	refetch jwkset.Storage // the same keys; reading a kid they lack fetches them again
	floor   *rate.Limiter  // one unknown-kid fetch per UnknownKIDRefetchFloor
	fetches singleflight.Group

	// HS256 mode: the shared secret and the kid Latchkey names it by.
	secret    []byte
	secretKID string
}

// settings are what the Options set.
type settings struct {
	client       *http.Client
	audience     string
	alg          string
	secret       []byte
	jwksURL      string
	refreshEvery time.Duration
	cacheSize    int
	now          func() time.Time
	log          *slog.Logger
}

// An Option changes a Verifier's defaults.
type Option func(*settings)

// WithHTTPClient fetches the JWK Set with c instead of
// http.DefaultClient: for a proxy, a private CA or a transport of one's
// own.
func WithHTTPClient(c *http.Client) Option { return func(s *settings) { s.client = c } }

// WithAudience sets the aud a token must carry. The default is the issuer
// URL, as Latchkey's default audience is its base URL.
func WithAudience(aud string) Option { return func(s *settings) { s.audience = aud } }

// WithAlgorithm sets the one algorithm accepted: ES256 (the default) or
// EdDSA, as LATCHKEY_JWT_ALG says. For HS256 use WithSecret.
func WithAlgorithm(alg string) Option { return func(s *settings) { s.alg = alg } }

// WithSecret verifies HS256 tokens with the secret Latchkey signs with
// (LATCHKEY_JWT_SECRET, at least MinSecretLen bytes), for setups that run
// Latchkey in its shared-secret mode. Nothing is fetched then: Latchkey
// publishes no key for HS256. Whoever holds the secret can also forge
// tokens, so prefer ES256 or EdDSA where a service need not be trusted
// that far.
func WithSecret(secret []byte) Option {
	return func(s *settings) { s.secret = append([]byte(nil), secret...) }
}

// WithJWKSURL fetches the JWK Set from u instead of the issuer URL +
// "/.well-known/jwks.json": for a service that reaches Latchkey at an
// internal address (http://latchkey:8080 in a container network) while
// its tokens name the public one.
func WithJWKSURL(u string) Option { return func(s *settings) { s.jwksURL = u } }

// WithRefreshInterval sets how often the JWK Set is fetched in the
// background (DefaultRefreshInterval). Keep it at most Latchkey's
// LATCHKEY_JWKS_MAX_AGE: a planned rotation is then never met as an
// unknown kid.
func WithRefreshInterval(d time.Duration) Option { return func(s *settings) { s.refreshEvery = d } }

// WithCacheSize sets how many verified tokens are remembered
// (DefaultCacheSize); a negative size turns the cache off. A token seen
// before is then answered with a hash and a map look-up, as long as it has
// not expired and its key is still in the JWK Set.
func WithCacheSize(n int) Option { return func(s *settings) { s.cacheSize = n } }

// WithClock sets the clock exp, nbf and the refetch floor are measured
// with (time.Now); tests pass a settable one.
func WithClock(now func() time.Time) Option { return func(s *settings) { s.now = now } }

// WithLogger sets where failed background fetches of the JWK Set are
// reported (slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(s *settings) { s.log = l } }

// New returns a Verifier for the tokens of the Latchkey at issuerURL (its
// LATCHKEY_BASE_URL, which its tokens carry as iss). It fetches the JWK
// Set before it returns and fails if it cannot, or if the set has no key
// for the algorithm, so that a wrong URL or algorithm shows at start-up
// rather than as every token refused.
//
// ctx bounds the Verifier's background refresh: cancel it when the
// service stops. The first fetch gives up after a few seconds or when ctx
// is done.
func New(ctx context.Context, issuerURL string, opts ...Option) (*Verifier, error) {
	s := settings{refreshEvery: DefaultRefreshInterval, now: time.Now, client: http.DefaultClient, log: slog.Default()}
	for _, o := range opts {
		o(&s)
	}
	// Latchkey writes its base URL without a trailing slash.
	issuer := strings.TrimRight(issuerURL, "/")
	if u, err := url.Parse(issuer); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("verify: issuer %q is not an http:// or https:// URL", issuerURL)
	}
	if s.audience == "" {
		s.audience = issuer
	}
	switch {
	case s.alg == "" && s.secret != nil:
		s.alg = HS256
	case s.alg == "":
		s.alg = ES256
	case s.alg == HS256 && s.secret == nil:
		return nil, errors.New("verify: HS256 needs the secret: use WithSecret")
	case s.alg != HS256 && s.secret != nil:
		return nil, fmt.Errorf("verify: a secret is for HS256, not %s", s.alg)
	}
	if s.secret != nil && len(s.secret) < MinSecretLen {
		return nil, fmt.Errorf("verify: the HS256 secret is %d bytes; want at least %d", len(s.secret), MinSecretLen)
	}
	if s.refreshEvery <= 0 {
		return nil, errors.New("verify: the refresh interval must be positive")
	}
	parser, err := NewParser(Rules{Alg: s.alg, Issuer: issuer, Audience: s.audience, Now: s.now})
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	v := &Verifier{alg: s.alg, parser: parser, now: s.now}
	switch {
	case s.cacheSize == 0:
		v.cache = NewCache(DefaultCacheSize)
	case s.cacheSize > 0:
		v.cache = NewCache(s.cacheSize)
	}
	if s.alg == HS256 {
		v.secret, v.secretKID = s.secret, SecretKID(s.secret)
		return v, nil
	}
	if err := v.fetchKeys(ctx, issuer, s); err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	return v, nil
}

// fetchKeys sets up the JWK Set cache: jwkset's HTTP storage fetches the
// set now and every refreshEvery, and replaces the keys only when a fetch
// succeeds, so an unreachable Latchkey leaves the last keys in place.
func (v *Verifier) fetchKeys(ctx context.Context, issuer string, s settings) (err error) {
	u := s.jwksURL
	if u == "" {
		u = issuer + "/.well-known/jwks.json"
	}
	// On success the refresh lives as long as the caller's ctx; on failure
	// it ends here.
	ctx, cancel := context.WithCancel(ctx)
	defer func() {
		if err != nil {
			cancel()
		}
	}()
	cached, err := jwkset.NewStorageFromHTTP(u, jwkset.HTTPClientStorageOptions{
		Client:          s.client,
		Ctx:             ctx, // ends the background refresh
		HTTPTimeout:     fetchTimeout,
		RefreshInterval: s.refreshEvery,
		RefreshErrorHandler: func(ctx context.Context, err error) {
			s.log.WarnContext(ctx, "verify: fetching the JWK Set failed; the keys fetched before stay in use", "url", u, "err", err)
		},
	})
	if err != nil {
		return fmt.Errorf("fetch the JWK Set: %w", err)
	}
	all, err := cached.KeyReadAll(ctx)
	if err != nil || !hasKeyFor(all, s.alg) {
		return fmt.Errorf("the JWK Set at %s has no %s key: is Latchkey's LATCHKEY_JWT_ALG another?", u, s.alg)
	}
	// The unknown-kid fetches go through a second view of the same
	// storage. Its limiter lets every fetch through: the floor is
	// v.floor's, which refuses at once rather than making a request wait
	// for its turn.
	refetch, err := jwkset.NewHTTPClient(jwkset.HTTPClientOptions{
		HTTPURLs:          map[string]jwkset.Storage{u: cached},
		RefreshUnknownKID: rate.NewLimiter(rate.Inf, 1),
		RateLimitWaitMax:  fetchTimeout, // also bounds the fetch itself
	})
	if err != nil {
		return fmt.Errorf("fetch the JWK Set: %w", err)
	}
	v.keys, v.refetch = cached, refetch
	// The fetch just made counts: the floor starts now.
	v.floor = rate.NewLimiter(rate.Every(UnknownKIDRefetchFloor), 1)
	v.floor.AllowN(s.now(), 1)
	return nil
}

// hasKeyFor reports whether keys has one that can verify alg.
func hasKeyFor(keys []jwkset.JWK, alg string) bool {
	for _, k := range keys {
		if usable(k, alg) == nil {
			return true
		}
	}
	return false
}

// Verify checks token (without "Bearer ") and returns its claims. Any
// refusal wraps ErrInvalid, with the reason for logs; answer them all
// alike (401 with error="invalid_token", as Middleware does). ctx bounds
// the fetch of the JWK Set that an unknown kid may cause. A token verified
// before is answered from the cache while it has not expired and its key
// is still published.
func (v *Verifier) Verify(ctx context.Context, token string) (*Claims, error) {
	now := v.now()
	if v.cache != nil {
		if c, kid, ok := v.cache.Get(token, now); ok && v.published(ctx, kid) {
			return &c, nil
		}
	}
	v.misses.Add(1)
	var kid string
	c, err := v.parser.Parse(token, func(k string) (any, error) {
		kid = k
		return v.key(ctx, k)
	})
	if err != nil {
		return nil, err
	}
	if v.cache != nil {
		v.cache.Put(token, *c, kid, now)
	}
	return c, nil
}

// published reports whether kid's key is still there to verify with,
// without fetching anything.
func (v *Verifier) published(ctx context.Context, kid string) bool {
	if v.secret != nil {
		return kid == v.secretKID
	}
	_, err := v.keys.KeyRead(ctx, kid)
	return err == nil
}

// key returns the public key (or the secret) for kid.
func (v *Verifier) key(ctx context.Context, kid string) (any, error) {
	if v.secret != nil {
		if kid != v.secretKID {
			return nil, errUnknownKID
		}
		return v.secret, nil
	}
	k, err := v.keys.KeyRead(ctx, kid)
	if errors.Is(err, jwkset.ErrKeyNotFound) {
		k, err = v.fetchFor(ctx, kid)
	}
	if err != nil {
		return nil, err
	}
	if err := usable(k, v.alg); err != nil {
		return nil, fmt.Errorf("kid %s: %w", kid, err)
	}
	pub := k.Key()
	if p, ok := pub.(interface{ Public() crypto.PublicKey }); ok {
		pub = p.Public() // a JWK Set should hold no private key; verify with the public half all the same
	}
	return pub, nil
}

// fetchFor fetches the JWK Set again for a kid it lacks, unless the floor
// forbids. Requests that meet the same kid at once share one fetch.
func (v *Verifier) fetchFor(ctx context.Context, kid string) (jwkset.JWK, error) {
	k, err, _ := v.fetches.Do(kid, func() (any, error) {
		// Another request's fetch may have brought the key meanwhile.
		if k, err := v.keys.KeyRead(ctx, kid); err == nil {
			return k, nil
		}
		if !v.floor.AllowN(v.now(), 1) {
			return nil, errUnknownKID
		}
		// The fetch serves every request waiting on it: one of them going
		// away must not cancel it (fetchTimeout bounds it).
		k, err := v.refetch.KeyRead(context.WithoutCancel(ctx), kid)
		if err != nil {
			return nil, errUnknownKID
		}
		return k, nil
	})
	if err != nil {
		return jwkset.JWK{}, err
	}
	return k.(jwkset.JWK), nil
}

// usable says why k cannot verify alg, if it cannot. Latchkey's JWKs name
// their alg and use; one that names another alg is refused even if its key
// type could check the signature, so a token cannot pick the algorithm a
// key is used with.
func usable(k jwkset.JWK, alg string) error {
	m := k.Marshal()
	if m.ALG != "" && m.ALG.String() != alg {
		return fmt.Errorf("the JWK is for %s, not %s", m.ALG, alg)
	}
	if m.USE != "" && m.USE != jwkset.UseSig {
		return fmt.Errorf("the JWK's use is %s, not sig", m.USE)
	}
	switch {
	case alg == ES256 && m.KTY == jwkset.KtyEC && m.CRV == jwkset.CrvP256:
	case alg == EdDSA && m.KTY == jwkset.KtyOKP && m.CRV == jwkset.CrvEd25519:
	default:
		return fmt.Errorf("a %s %s key cannot verify %s", m.KTY, m.CRV, alg)
	}
	return nil
}
