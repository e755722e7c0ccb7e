package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/latchkey/latchkey/internal/auth"
)

// sessionCacheMax bounds the sessions remembered between two changes of the
// database; past it the cache starts over.
const sessionCacheMax = 10_000

// sessionCache remembers sessions and their users as read, for as long as
// the database has not changed since. It saves the session join that every
// authenticated request would otherwise run, the largest part of GET
// /api/users/me's work (docs/performance.md has the measurements).
//
// "Changed" is a version the database gives, read before every look-up
// (see dataVersion and snapshotVersion): it moves when anyone commits, this
// process or another (the command line's `user disable`, another instance
// on the same PostgreSQL). Revocation therefore still takes effect at once,
// everywhere; the check costs a fraction of the query it saves.
type sessionCache struct {
	version versionSource

	mu      sync.Mutex
	current string // the version the entries were read at
	entries map[string]sessionEntry
	lists   map[string]sessionList // by user id: ListSessions
}

type sessionEntry struct {
	session auth.Session
	user    auth.User
}

// sessionList is a user's live sessions as listed at a time.
type sessionList struct {
	at   time.Time
	list []auth.Session
}

// check reads the database's version, forgetting every entry when it
// moved; or returns the version ctx's pin holds.
func (c *sessionCache) check(ctx context.Context) (string, error) {
	p := pinOf(ctx)
	if v, ok := p.get(); ok {
		return v, nil
	}
	v, err := c.version.read(ctx)
	if err != nil {
		return "", err
	}
	p.set(v)
	c.mu.Lock()
	defer c.mu.Unlock()
	if v != c.current || c.entries == nil {
		c.current, c.entries, c.lists = v, make(map[string]sessionEntry), make(map[string]sessionList)
	}
	return v, nil
}

// Pin returns a context whose session look-ups share one check of the
// database's version: the first reads it, the others reuse it. A request
// that finds its session and then lists the user's sessions (the account
// page) asks the database once instead of twice; on PostgreSQL each check
// is a round trip (see snapshotVersion).
//
// The request still sees every change committed before it arrived: the
// first check is made after it. A write made with the context ends the
// sharing for the rest of the request, so that it reads its own writes.
// Give each request a context of its own: a pin shared between requests
// would let a later one see the database as an earlier one found it.
func (*Store) Pin(ctx context.Context) context.Context {
	return context.WithValue(ctx, pinKey{}, &pin{})
}

type pinKey struct{}

// pin is one request's shared version. Its methods do nothing on nil, a
// context without one.
type pin struct {
	mu    sync.Mutex
	v     string
	held  bool // v is the version to use
	ended bool // the request wrote: every look-up reads the version afresh
}

func (p *pin) get() (string, bool) {
	if p == nil {
		return "", false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.v, p.held
}

func (p *pin) set(v string) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.ended && !p.held {
		p.v, p.held = v, true
	}
}

// pinOf returns ctx's pin, or nil.
func pinOf(ctx context.Context) *pin {
	p, _ := ctx.Value(pinKey{}).(*pin)
	return p
}

// end stops the sharing for good: called before every write.
func (p *pin) end() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.v, p.held, p.ended = "", false, true
}

// versionSource reads a database's version: equal versions, equal rows.
type versionSource interface {
	read(context.Context) (string, error)
	close() error
}

// dataVersion is SQLite's PRAGMA data_version, read on a connection of its
// own (the number is per connection): it moves when any other connection
// commits, this process's writer or another process's.
type dataVersion struct {
	db *sql.DB

	// turn is held (a value in it) while one caller reads: a channel rather
	// than a mutex, so that a caller whose context ends stops waiting for
	// its turn.
	turn chan struct{}
	conn *sql.Conn
	stmt *sql.Stmt // PRAGMA data_version, prepared on conn
	gen  int       // connections made: a new one's numbers do not compare with the old one's

	last     int64  // the last version read
	lastText string // and as read returns it
}

func newDataVersion(db *sql.DB) *dataVersion {
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxIdleTime(0)
	db.SetConnMaxLifetime(0)
	return &dataVersion{db: db, turn: make(chan struct{}, 1)}
}

func (d *dataVersion) read(ctx context.Context) (string, error) {
	select {
	case d.turn <- struct{}{}:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	defer func() { <-d.turn }()
	if d.conn == nil {
		if err := d.connect(ctx); err != nil {
			return "", err
		}
	}
	var v int64
	if err := d.stmt.QueryRowContext(ctx).Scan(&v); err != nil {
		if ctx.Err() == nil { // a request that went away leaves the connection sound
			d.disconnect()
		}
		return "", err
	}
	if v != d.last || d.lastText == "" { // spell each version once, not per request
		d.last, d.lastText = v, strconv.Itoa(d.gen)+":"+strconv.FormatInt(v, 10)
	}
	return d.lastText, nil
}

func (d *dataVersion) connect(ctx context.Context) error {
	conn, err := d.db.Conn(ctx)
	if err != nil {
		return err
	}
	stmt, err := conn.PrepareContext(ctx, "PRAGMA data_version")
	if err != nil {
		conn.Close()
		return err
	}
	d.conn, d.stmt = conn, stmt
	d.gen++
	d.lastText = ""
	return nil
}

func (d *dataVersion) disconnect() {
	if d.conn != nil {
		d.stmt.Close()
		d.conn.Close()
	}
	d.conn, d.stmt = nil, nil
}

func (d *dataVersion) close() error {
	d.turn <- struct{}{}
	defer func() { <-d.turn }()
	d.disconnect()
	return d.db.Close()
}

// snapshotVersion is PostgreSQL's current snapshot (xmin:xmax:in-progress
// transactions). Two equal snapshots see the same rows: a commit, anywhere
// in the cluster, either takes its transaction off the in-progress list or
// moves xmax past it. It is a cheaper query than the session look-up, and
// asks no table. Any
// commit moves it, to any table: under a steady stream of writes the cache
// mostly reads again, and is worth most in the read-heavy stretches between.
type snapshotVersion struct {
	query   func(context.Context) (string, error)
	timeout time.Duration // bounds a shared query, which no single caller may cancel

	mu      sync.Mutex
	reading bool      // a query is in flight
	next    *snapshot // the query the callers arriving now wait for
}

func newSnapshotVersion(db *sql.DB, timeout time.Duration) *snapshotVersion {
	return &snapshotVersion{timeout: timeout, query: func(ctx context.Context) (string, error) {
		var v string
		err := db.QueryRowContext(ctx, `SELECT pg_current_snapshot()::text`).Scan(&v)
		return v, err
	}}
}

// snapshot is one query's answer, shared by the callers that waited for it.
type snapshot struct {
	done chan struct{}
	v    string
	err  error
}

// read returns a snapshot taken after it was called: the callers that
// arrive while a query is in flight share the next one, so that under load
// one round trip serves many requests without any of them seeing the
// database as it was before it arrived.
func (p *snapshotVersion) read(ctx context.Context) (string, error) {
	p.mu.Lock()
	if p.next == nil {
		p.next = &snapshot{done: make(chan struct{})}
	}
	s := p.next
	if !p.reading {
		p.reading, p.next = true, nil
		go p.answer(ctx, s)
	}
	p.mu.Unlock()
	select {
	case <-s.done:
		return s.v, s.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// answer answers s, then the snapshot callers started waiting for meanwhile.
func (p *snapshotVersion) answer(ctx context.Context, s *snapshot) {
	ctx = context.WithoutCancel(ctx)
	for s != nil {
		qctx, cancel := context.WithTimeoutCause(ctx, p.timeout, errTimeout)
		s.v, s.err = p.query(qctx)
		if s.err != nil && errors.Is(context.Cause(qctx), errTimeout) {
			// The waiters' own contexts may not have ended yet: say
			// why, so that they report the outage and not a bug.
			s.err = fmt.Errorf("%w (%v)", errTimeout, s.err)
		}
		cancel()
		close(s.done)
		p.mu.Lock()
		s, p.next = p.next, nil
		p.reading = s != nil
		p.mu.Unlock()
	}
}

func (*snapshotVersion) close() error { return nil } // db is the store's

// get returns copies of what key held at version v.
func (c *sessionCache) get(key, v string) (*auth.Session, *auth.User, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || c.current != v {
		return nil, nil, false
	}
	return &e.session, &e.user, true
}

// put remembers what was read after version v was taken. A change that
// committed in between only makes the entry newer than v; the next look-up
// sees a new version and reads again.
func (c *sessionCache) put(key, v string, ss *auth.Session, u *auth.User) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.current != v || c.entries == nil {
		return
	}
	c.makeRoom()
	c.entries[key] = sessionEntry{session: *ss, user: *u}
}

func (c *sessionCache) makeRoom() {
	if len(c.entries)+len(c.lists) >= sessionCacheMax {
		c.entries, c.lists = make(map[string]sessionEntry), make(map[string]sessionList)
	}
}

// getList returns copies of userID's sessions listed at version v that
// have not expired by now. A list taken at a later time than now could
// lack sessions that expired in between, so it is not used then.
func (c *sessionCache) getList(userID, v string, now time.Time) ([]*auth.Session, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	l, ok := c.lists[userID]
	if !ok || c.current != v || now.Before(l.at) {
		return nil, false
	}
	var live []*auth.Session
	for _, ss := range l.list {
		if ss.ExpiresAt.After(now) {
			live = append(live, &ss)
		}
	}
	return live, true
}

// putList remembers userID's sessions as listed at now, after version v.
func (c *sessionCache) putList(userID, v string, now time.Time, list []*auth.Session) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.current != v || c.lists == nil {
		return
	}
	c.makeRoom()
	l := sessionList{at: now, list: make([]auth.Session, len(list))}
	for i, ss := range list {
		l.list[i] = *ss
	}
	c.lists[userID] = l
}

func (c *sessionCache) close() error { return c.version.close() }
