package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
)

// synthCommand is one "gophi synth NAME" subcommand. Each lives in its own
// file and registers itself in synthCommands from an init function, so the
// story generator, the teacher and the filters stay independent.
type synthCommand struct {
	summary string // one line for "gophi synth -h"
	run     func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error
}

// synthCommands maps subcommand names to their implementations.
var synthCommands = map[string]synthCommand{}

func synthUsage() string {
	var b strings.Builder
	b.WriteString("Usage: gophi synth COMMAND [flags]\n\nMake synthetic training data, the Phi way.\n\nCommands:\n")
	names := make([]string, 0, len(synthCommands))
	for n := range synthCommands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(&b, "  %-10s %s\n", n, synthCommands[n].summary)
	}
	b.WriteString("\n\"gophi synth COMMAND -h\" lists a command's flags.\n")
	return b.String()
}

func cmdSynth(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, synthUsage())
		return errUsage
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, synthUsage())
		return nil
	}
	c, ok := synthCommands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "gophi synth: unknown command %q\n\n%s", args[0], synthUsage())
		return errUsage
	}
	return c.run(ctx, args[1:], stdin, stdout, stderr)
}
