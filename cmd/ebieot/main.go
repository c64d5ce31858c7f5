package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"syscall"

	"github.com/urfave/cli/v2"
)

// version is overridden at link time (-ldflags "-X main.version=…").
var version = "0.1.0-dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := newApp(os.Stdout, os.Stderr).RunContext(ctx, os.Args); err != nil {
		fmt.Fprintln(os.Stderr, "ebieot:", err)
		stop()
		os.Exit(1)
	}
}

func newApp(stdout, stderr io.Writer) *cli.App {
	return &cli.App{
		Name:                 "ebieot",
		Usage:                "semi-supervised conditional generative modelling by inverse entropic optimal transport",
		Version:              version,
		Writer:               stdout,
		ErrWriter:            stderr,
		Flags:                globalFlags(),
		EnableBashCompletion: false,
		HideHelpCommand:      true,
		Commands: []*cli.Command{
			// Each command lives in its own file and is built by newCommand.
			demoCommand(),
			generateCommand(),
			sinkhornCommand(),
			inspectCommand(),
			fitCommand(),
			sampleCommand(),
			predictCommand(),
			logprobCommand(),
			describeCommand(),
			evalCommand(),
		},
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return fmt.Errorf("unknown command %q (see 'ebieot --help')", c.Args().First())
			}
			return cli.ShowAppHelp(c)
		},
	}
}

// globalFlags are defined on the app and again on every command, so that
// `ebieot --quiet fit …` and `ebieot fit … --quiet` both work.
func globalFlags() []cli.Flag {
	return []cli.Flag{
		&cli.IntFlag{Name: "threads", Usage: "worker goroutines (0 = all cores)", Value: 0},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print only results and errors"},
	}
}

// newCommand adds the global flags to cmd and wraps its action so that stray
// positional arguments are rejected and --threads takes effect.
func newCommand(cmd *cli.Command) *cli.Command {
	cmd.Flags = append(cmd.Flags, globalFlags()...)
	// urfave/cli checks required flags before any hook runs, so a stray word
	// (after which it ignores every flag) would be reported as a missing
	// flag; the check is done here instead, after the stray-word check.
	required := takeRequired(cmd.Flags)
	action := cmd.Action
	cmd.Action = func(c *cli.Context) error {
		if c.Args().Present() {
			return fmt.Errorf("%s: unexpected argument %q: this command takes flags only (put every flag before any other word)", cmd.Name, c.Args().First())
		}
		for _, name := range required {
			if !c.IsSet(name) {
				return fmt.Errorf("%s: required flag --%s not set (see 'ebieot %s --help')", cmd.Name, name, c.Command.FullName())
			}
		}
		n := threads(c)
		if n < 0 {
			return fmt.Errorf("--threads %d: must be 0 (all cores) or positive", n)
		}
		if n > 0 {
			runtime.GOMAXPROCS(n)
		}
		return action(c)
	}
	return cmd
}

// takeRequired clears the Required mark of flags and returns their names.
func takeRequired(flags []cli.Flag) []string {
	var names []string
	for _, f := range flags {
		var req *bool
		switch f := f.(type) {
		case *cli.StringFlag:
			req = &f.Required
		case *cli.IntFlag:
			req = &f.Required
		case *cli.Float64Flag:
			req = &f.Required
		case *cli.Uint64Flag:
			req = &f.Required
		case *cli.BoolFlag:
			req = &f.Required
		}
		if req != nil && *req {
			*req = false
			names = append(names, f.Names()[0])
		}
	}
	return names
}

// threads is the --threads value given after the command if any, else the
// one given before it, else 0. Zero means all cores.
func threads(c *cli.Context) int {
	for _, cc := range c.Lineage() {
		if slices.Contains(cc.LocalFlagNames(), "threads") {
			return cc.Int("threads")
		}
	}
	return 0
}

// workers is the number of goroutines a command should use.
func workers(c *cli.Context) int {
	if n := threads(c); n > 0 {
		return n
	}
	return runtime.GOMAXPROCS(0)
}

// quiet reports whether --quiet was given before or after the command.
func quiet(c *cli.Context) bool {
	for _, cc := range c.Lineage() {
		if slices.Contains(cc.LocalFlagNames(), "quiet") && cc.Bool("quiet") {
			return true
		}
	}
	return false
}
