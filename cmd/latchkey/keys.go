package main

import (
	"context"
	"fmt"
)

func (env *environment) keys(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "rotate" {
		if len(args) == 0 {
			return usagef("keys needs a subcommand: rotate")
		}
		return usagef("unknown keys subcommand %q", args[0])
	}
	fs, cf := env.flags("keys rotate")
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
	kid, err := tokens.Rotate(ctx)
	if err != nil {
		return err
	}
	// Running servers reload keys every 30 s: within a minute they sign
	// with the new key; the old one stays published until its tokens expire.
	fmt.Fprintf(env.stdout, "rotated: new signing key %s; running servers switch to it within 60 s\n", kid)
	return nil
}
