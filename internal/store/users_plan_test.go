package store

import (
	"strings"
	"testing"
)

// TestIdentityTakenUsesTheIndexes guards registration at a million users:
// the OR must be answered from the two unique indexes, not by a scan.
func TestIdentityTakenUsesTheIndexes(t *testing.T) {
	rows, err := openSQLite(t).r.Query(`EXPLAIN QUERY PLAN `+identityTakenQuery, "alice", "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(plan, "; ")
	if strings.Contains(joined, "SCAN users") ||
		!strings.Contains(joined, "USING INDEX users_username_key") || !strings.Contains(joined, "USING INDEX users_email_key") {
		t.Fatalf("plan %q: want both unique indexes searched, no scan", joined)
	}
	t.Log(joined)
}
