package store

import (
	"context"
	"strconv"
	"strings"

	"github.com/latchkey/latchkey/internal/auth"
	"github.com/latchkey/latchkey/internal/userimport"
)

var _ userimport.Store = (*Store)(nil)

// importRows is how many users one INSERT carries: ten parameters each
// stays far below both databases' limits on a statement's parameters.
const importRows = 500

// ImportNewUsers implements userimport.Store. Unlike ImportUsers, which
// refuses a whole batch for one conflict, it skips what collides and
// writes the rest: an import from another stack meets users that exist
// already, and must go on past them. ON CONFLICT DO NOTHING, with
// no target, skips a row that would break any unique index, the id's, the
// folded username's or the email's, on both databases; and a row that
// collides with one inserted earlier by the same statement is skipped
// alike, so duplicates within a file need no check of their own. The
// count of rows affected is the count inserted.
func (s *Store) ImportNewUsers(ctx context.Context, users []*auth.User) (int, error) {
	if len(users) == 0 {
		return 0, nil
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, s.classify(ctx, "import new users", err)
	}
	defer tx.Rollback()
	inserted := 0
	for len(users) > 0 {
		chunk := users[:min(len(users), importRows)]
		users = users[len(chunk):]
		q, args := importInsert(chunk, s.dialect.name == sqliteDialect.name)
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return 0, s.classify(ctx, "import new users", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return 0, s.classify(ctx, "import new users", err)
		}
		inserted += int(n)
	}
	if err := tx.Commit(); err != nil {
		return 0, s.classify(ctx, "import new users", err)
	}
	return inserted, nil
}

// importInsert builds one multi-row INSERT of users. On SQLite its
// parameters are "?": SQLite takes "$N" as a name, looked up along a list
// of every name in the statement, which at thousands of parameters
// costs more than the insert itself.
func importInsert(users []*auth.User, questionMarks bool) (string, []any) {
	var b strings.Builder
	b.WriteString(`INSERT INTO users (` + userColumns + `) VALUES `)
	args := make([]any, 0, len(users)*userColumnCount)
	for i, u := range users {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for j := range userColumnCount {
			if j > 0 {
				b.WriteString(", ")
			}
			if questionMarks {
				b.WriteByte('?')
			} else {
				b.WriteString("$" + strconv.Itoa(i*userColumnCount+j+1))
			}
		}
		b.WriteByte(')')
		args = append(args, userValues(u)...)
	}
	b.WriteString(` ON CONFLICT DO NOTHING`)
	return b.String(), args
}

// ImportTaken implements userimport.Store with one query a batch; each
// side of the OR has its unique index. A batch has a thousand parameters,
// few enough for SQLite's look-up of "$N" names not to matter.
func (s *Store) ImportTaken(ctx context.Context, users []*auth.User) ([]bool, error) {
	taken := make([]bool, len(users))
	if len(users) == 0 {
		return taken, nil
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	names, emails := make(map[string]bool), make(map[string]bool)
	all := users
	for len(users) > 0 {
		chunk := users[:min(len(users), importRows)]
		users = users[len(chunk):]
		args := make([]any, 0, 2*len(chunk))
		var nameList, emailList strings.Builder
		for i, u := range chunk {
			if i > 0 {
				nameList.WriteString(", ")
				emailList.WriteString(", ")
			}
			nameList.WriteString("lower($" + strconv.Itoa(2*i+1) + ")")
			emailList.WriteString("$" + strconv.Itoa(2*i+2))
			args = append(args, u.Username, u.Email)
		}
		rows, err := s.query(ctx, `SELECT lower(username), email FROM users
			WHERE lower(username) IN (`+nameList.String()+`) OR email IN (`+emailList.String()+`)`, args...)
		if err != nil {
			return nil, s.classify(ctx, "check imported users", err)
		}
		for rows.Next() {
			var name, email string
			if err := rows.Scan(&name, &email); err != nil {
				rows.Close()
				return nil, s.classify(ctx, "check imported users", err)
			}
			names[name], emails[email] = true, true
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, s.classify(ctx, "check imported users", err)
		}
	}
	for i, u := range all {
		// Usernames are ASCII, so FoldUsername is the databases' lower().
		taken[i] = names[auth.FoldUsername(u.Username)] || emails[u.Email]
	}
	return taken, nil
}
