package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"

	write "github.com/newsroom/commentd/commands"
	"github.com/newsroom/commentd/events"
)

func init() {
	commands["authors"] = command{
		summary: "export ID | erase --by NAME [--reason TEXT] ID: a reader's data as JSON, or\n" +
			"their erasure (data keys destroyed, AuthorErased in the log)",
		run: runAuthors,
	}
}

// OperatorActor prefixes the actor of what an operator does with commentctl.
const operatorActor = "operator:"

func runAuthors(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	usage := func() {
		fmt.Fprintln(stderr, "usage: commentctl authors export ID | erase --by NAME [--reason TEXT] ID [--nats-url URL | --data-dir DIR]\n"+
			"  ID is the author id as moderators see it: name:<name> for an anonymous reader, sso:<id> for a signed-in one")
	}
	if len(args) == 0 || args[0] != "export" && args[0] != "erase" {
		usage()
		return errUsage
	}
	verb := args[0]
	fs := flag.NewFlagSet("authors "+verb, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var conn connection
	conn.flags(fs)
	by := fs.String("by", "", "who erases (recorded in the log as operator:NAME); required to erase")
	reason := fs.String("reason", "", "the request's reference, recorded in the log")
	fs.Usage = func() { usage(); fs.PrintDefaults() }
	if err := parseArgs(fs, args[1:], 1); err != nil {
		return err
	}
	author := events.CanonicalAuthorID(fs.Arg(0))
	if verb == "erase" && *by == "" {
		fmt.Fprintln(stderr, "commentctl authors erase: --by NAME is required: the log records who erased")
		return errUsage
	}
	log, closeAll, err := conn.attachLog(ctx)
	if err != nil {
		return err
	}
	defer closeAll()
	svc := write.New(write.Config{Log: log})
	if verb == "export" {
		data, err := svc.Export(ctx, author)
		if err != nil {
			return err
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(data)
	}
	x, err := svc.Erase(ctx, operatorActor+*by, write.Erase{AuthorID: author, Reason: *reason, Destroy: true})
	if errors.Is(err, write.ErrNothingToErase) {
		return fmt.Errorf("%s: no comment and no key in this log", fs.Arg(0))
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "erased author %s: %d comments, %d keys destroyed\n", x.AuthorKey, len(x.Comments), len(x.Keys))
	return nil
}
