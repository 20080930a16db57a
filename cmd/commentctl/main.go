// Command commentctl is the operator's tool for commentd: it checks rule
// files and tries them on history, reports the state of an installation,
// exports its log, rebuilds its views, and manages dead letters and
// moderator accounts. Each subcommand lives in its own file and registers
// itself in commands; connect.go is how they all reach an installation.
//
//	commentctl rules validate FILE
//	commentctl rules check [--rules FILE] < comments.txt
//	commentctl rules publish|dryrun FILE
//	commentctl rules backtest --rules FILE [--since DURATION] [--article ID]
//	commentctl status [--json] [--nats-monitor URLS] [--max-delay D]
//	commentctl export [--format jsonl|disqus] [--article ID] [--from SEQ]
//	commentctl import --format disqus|remark42|wxr [--dry-run] FILE
//	commentctl rebuild VIEW...|--all
//	commentctl load [--comments N] [--articles M]
//	commentctl dlq list|replay SEQ|delete SEQ
//	commentctl moderators add|remove|list|token NAME
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
)

// command is one subcommand: run gets the arguments after its name.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error
}

// commands maps a subcommand name to its implementation; other files of
// this package add theirs in init.
var commands = map[string]command{}

// errUsage means the arguments were wrong; the usage has been printed.
var errUsage = errors.New("usage")

// parseArgs parses a subcommand's flags and wants exactly n arguments
// after them; otherwise it prints the usage and returns errUsage.
func parseArgs(fs *flag.FlagSet, args []string, n int) error {
	if err := fs.Parse(args); err != nil {
		return errUsage // the flag package has printed why, and the usage
	}
	if fs.NArg() != n {
		fs.Usage()
		return errUsage
	}
	return nil
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	switch {
	case errors.Is(err, errUsage):
		os.Exit(2)
	case errors.Is(err, errUnhealthy):
		// The report on stdout says why.
		fmt.Fprintln(os.Stderr, "commentctl: unhealthy")
		os.Exit(3)
	case err != nil:
		fmt.Fprintln(os.Stderr, "commentctl:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "commentctl: unknown command %q\n", args[0])
		usage(stderr)
		return errUsage
	}
	return c.run(ctx, args[1:], stdin, stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: commentctl COMMAND [ARGS]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, strings.ReplaceAll(commands[n].summary, "\n", "\n             "))
	}
}
