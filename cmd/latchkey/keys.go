package main

import (
	"context"
	"fmt"
	"time"
)

func (env *environment) keys(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "rotate" {
		if len(args) == 0 {
			return usagef("keys needs a subcommand: rotate")
		}
		return usagef("unknown keys subcommand %q", args[0])
	}
	fs, cf := env.flags("keys rotate")
	now := fs.Bool("now", false, "sign with the new key at once, for a leaked key (verifiers that cached the JWKS and do not refetch it on an unknown kid refuse new tokens until their cache expires)")
	cfg, err := env.parse(fs, cf, args[1:])
	if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("keys rotate takes no arguments")
	}
	db, err := openDatabase(ctx, cfg, quiet)
	if err != nil {
		return err
	}
	defer db.Close()
	tokens, err := newTokens(ctx, cfg, db)
	if err != nil {
		return err
	}
	rotate := tokens.Rotate
	if *now {
		rotate = tokens.RotateNow
	}
	rot, err := rotate(ctx)
	if err != nil {
		return err
	}
	if err := newService(cfg, db, serverParts{tokens: tokens}).KeysRotated(ctx, rot.KID, rot.SignsFrom); err != nil {
		return fmt.Errorf("the key was rotated, but not recorded in the audit log: %w", err)
	}
	// Running servers reload keys every 30 s: within a minute they publish
	// the new key (and, after --now, sign with it). The old key stays
	// published until its tokens expire.
	if *now {
		fmt.Fprintf(env.stdout, "rotated: new signing key %s signs now; running servers switch to it within 60 s and stop signing with the old one\n"+
			"note: a verifier that cached the JWKS and does not fetch it again on an unknown kid refuses the new key's tokens until its cache expires, up to LATCHKEY_JWKS_MAX_AGE (%s)\n",
			rot.KID, tokens.JWKSMaxAge())
		return nil
	}
	fmt.Fprintf(env.stdout, "rotated: new signing key %s; running servers publish it within 60 s and sign with it from %s (in %s, LATCHKEY_JWKS_MAX_AGE plus two reloads), so that verifiers caching the JWKS know it first\n",
		rot.KID, rot.SignsFrom.UTC().Format(time.RFC3339), time.Until(rot.SignsFrom).Round(time.Second))
	return nil
}
