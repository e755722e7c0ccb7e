package store_test

import (
	"testing"

	"github.com/latchkey/latchkey/internal/userimport/importtest"
)

func TestImportContract(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		importtest.TestStore(t, func(t *testing.T) importtest.Store { return openSQLite(t) })
	})
	t.Run("postgres", func(t *testing.T) {
		importtest.TestStore(t, func(t *testing.T) importtest.Store { return openPostgres(t) })
	})
}
