package store

import (
	"context"
	"database/sql"
	"sync"
	"time"

	"github.com/latchkey/latchkey/internal/auth"
)

// sessionCacheMax bounds the sessions remembered between two changes of the
// database; past it the cache starts over.
const sessionCacheMax = 10_000

// sessionCache remembers sessions and their users as read, for as long as
// the database has not changed since. Every authenticated request looks its
// session up, and that look-up was the largest part of GET /api/users/me
// (a third of the server's CPU in a profile under load; without it the
// throughput rose from 0.41 to 0.73 × a bare handler).
//
// "Changed" is SQLite's PRAGMA data_version, read on a connection of the
// cache's own before every look-up: it moves when any other connection
// commits, this process's writer or another process's (the command line's
// `user disable`, say). Revocation therefore still takes effect at once;
// the check costs a third of the query it saves. Only SQLite has it: on
// PostgreSQL, where other instances write too, every look-up goes to the
// database.
type sessionCache struct {
	db *sql.DB // one connection: data_version is per connection

	mu      sync.Mutex
	conn    *sql.Conn
	stmt    *sql.Stmt // PRAGMA data_version, prepared on conn
	version int64
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

func newSessionCache(db *sql.DB) *sessionCache {
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxIdleTime(0)
	db.SetConnMaxLifetime(0)
	return &sessionCache{db: db}
}

// current reads the database's data version, forgetting every entry when
// it moved. On a failure of the connection it is dropped with the entries,
// since a new connection's versions do not compare with the old one's.
func (c *sessionCache) current(ctx context.Context) (int64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn == nil {
		if err := c.connect(ctx); err != nil {
			return 0, err
		}
	}
	var v int64
	if err := c.stmt.QueryRowContext(ctx).Scan(&v); err != nil {
		if ctx.Err() == nil { // a request that went away leaves the connection sound
			c.disconnect()
		}
		return 0, err
	}
	if v != c.version || c.entries == nil {
		c.version, c.entries, c.lists = v, make(map[string]sessionEntry), make(map[string]sessionList)
	}
	return v, nil
}

func (c *sessionCache) connect(ctx context.Context) error {
	conn, err := c.db.Conn(ctx)
	if err != nil {
		return err
	}
	stmt, err := conn.PrepareContext(ctx, "PRAGMA data_version")
	if err != nil {
		conn.Close()
		return err
	}
	c.conn, c.stmt = conn, stmt
	return nil
}

func (c *sessionCache) disconnect() {
	if c.conn != nil {
		c.stmt.Close()
		c.conn.Close()
	}
	c.conn, c.stmt, c.entries, c.lists = nil, nil, nil, nil
}

// get returns copies of what key held at version v.
func (c *sessionCache) get(key string, v int64) (*auth.Session, *auth.User, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || c.version != v {
		return nil, nil, false
	}
	return &e.session, &e.user, true
}

// put remembers what was read after version v was taken. A change that
// committed in between only makes the entry newer than v; the next look-up
// sees a new version and reads again.
func (c *sessionCache) put(key string, v int64, ss *auth.Session, u *auth.User) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.version != v || c.entries == nil {
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
func (c *sessionCache) getList(userID string, v int64, now time.Time) ([]*auth.Session, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	l, ok := c.lists[userID]
	if !ok || c.version != v || now.Before(l.at) {
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
func (c *sessionCache) putList(userID string, v int64, now time.Time, list []*auth.Session) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.version != v || c.lists == nil {
		return
	}
	c.makeRoom()
	l := sessionList{at: now, list: make([]auth.Session, len(list))}
	for i, ss := range list {
		l.list[i] = *ss
	}
	c.lists[userID] = l
}

func (c *sessionCache) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.disconnect()
	return c.db.Close()
}
