package store

import "database/sql"

// Pool is one of the store's connection pools and its statistics, for the
// server's metrics: connections in use and idle, and above all the waits
// for one, which tell an operator that the pool (LATCHKEY_DATABASE_MAX_CONNS)
// or, on SQLite, the single writer is the bottleneck.
type Pool struct {
	// Name says which pool: "write" and "read" on SQLite (one writer, a
	// pool of readers), "read_write" on PostgreSQL (one pool for both).
	Name  string
	Stats sql.DBStats
}

// Pools returns the statistics of each connection pool at this moment.
func (s *Store) Pools() []Pool {
	if s.r == s.w.db {
		return []Pool{{Name: "read_write", Stats: s.r.Stats()}}
	}
	return []Pool{
		{Name: "write", Stats: s.w.db.Stats()},
		{Name: "read", Stats: s.r.Stats()},
	}
}

// GroupCommits is what SQLite's group commit has done so far: the commits
// it made (each one fsync) and the writes they held. Writes per commit is
// how many writes share an fsync; near one under load, nothing is shared.
type GroupCommits struct {
	Commits, Writes int64
}

// GroupCommits returns the counts so far, and false on PostgreSQL, which
// has no group commit: its concurrent commits share WAL flushes already.
func (s *Store) GroupCommits() (GroupCommits, bool) {
	if s.group == nil {
		return GroupCommits{}, false
	}
	return GroupCommits{Commits: s.group.commits.Load(), Writes: s.group.writes.Load()}, true
}
