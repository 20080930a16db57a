package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/newsroom/commentd/accounts"
)

const moderatorsUsage = `usage:
  commentctl moderators add [--role moderator|admin] NAME   (password: first line of stdin)
  commentctl moderators remove NAME
  commentctl moderators list
  commentctl moderators token [--label LABEL] NAME          (prints a new API token)
flags of every subcommand: --nats-url, --data-dir`

func init() {
	commands["moderators"] = command{
		summary: "add [--role moderator|admin] NAME (password on stdin), remove NAME, list,\n" +
			"token [--label L] NAME: moderator accounts and API tokens (--nats-url or --data-dir)",
		run: runModerators,
	}
}

func runModerators(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, moderatorsUsage)
		return errUsage
	}
	switch args[0] {
	case "add", "remove", "list", "token":
	default:
		fmt.Fprintf(stderr, "commentctl moderators: unknown subcommand %q\n", args[0])
		fmt.Fprintln(stderr, moderatorsUsage)
		return errUsage
	}
	var conn connection
	fs := flag.NewFlagSet("moderators "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	conn.flags(fs)
	role := fs.String("role", string(accounts.Moderator), "role of a new account: moderator or admin")
	label := fs.String("label", "", "what a new token is for")
	if err := fs.Parse(args[1:]); err != nil {
		return errUsage
	}
	wantArgs := 1
	if args[0] == "list" {
		wantArgs = 0
	}
	if fs.NArg() != wantArgs {
		fmt.Fprintln(stderr, moderatorsUsage)
		return errUsage
	}
	name := strings.ToLower(fs.Arg(0))

	// Read the password before connecting: a typo fails fast.
	var password string
	if args[0] == "add" {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && line == "" {
			return errors.New("give the password as the first line of stdin")
		}
		password = strings.TrimRight(line, "\r\n")
		if err := accounts.CheckPassword(name, password); err != nil {
			return err
		}
	}

	// Only add may make a new store: the first admin of a fresh install
	// can be made before commentd first starts.
	js, closeAll, err := conn.open(args[0] == "add")
	if err != nil {
		return err
	}
	defer closeAll()
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	// Attach, never reconfigure: Open would set a live cluster's R3
	// buckets to R1 and its session TTL to the default.
	open := accounts.Attach
	if args[0] == "add" {
		open = accounts.AttachOrCreate
	}
	st, err := open(ctx, js, accounts.Config{})
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		// An install whose commentd never provisioned accounts has none.
		if args[0] == "list" {
			fmt.Fprintln(stdout, "NAME  ROLE  CREATED  BY")
			return nil
		}
		return fmt.Errorf("no moderator accounts here yet (commentctl moderators add makes the first): %w", err)
	}
	if err != nil {
		return err
	}
	switch args[0] {
	case "add":
		a, err := st.Add(ctx, name, password, accounts.Role(*role), "commentctl")
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "added %s (%s)\n", a.Name, a.Role)
	case "remove":
		if err := st.Remove(ctx, name); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "removed %s\n", name)
	case "list":
		list, err := st.List(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tROLE\tCREATED\tBY")
		for _, a := range list {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", a.Name, a.Role, a.CreatedAt.Format("2006-01-02 15:04"), a.CreatedBy)
		}
		return tw.Flush()
	case "token":
		sec, t, err := st.NewToken(ctx, name, *label)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "token %s for %s; it is shown once:\n", t.ID, name)
		fmt.Fprintln(stdout, sec)
	}
	return nil
}
