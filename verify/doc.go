// Package verify checks Latchkey's access tokens. Latchkey itself checks
// them with these rules (Parser), so a token this package accepts is one
// Latchkey's own API accepts, apart from revocations, which only Latchkey
// sees.
package verify
