package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"
)

// version is set at link time (-ldflags "-X main.version=…"); otherwise it
// comes from the module's build information (a `go install …@vX` build
// knows its version), and as a last resort it says "devel".
var version = ""

// buildVersion is the version --version prints.
func buildVersion() string {
	if version != "" {
		return version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	v := info.Main.Version
	if v == "" || v == "(devel)" {
		v = "devel"
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += " " + s.Value[:12]
			}
			if s.Key == "vcs.modified" && s.Value == "true" {
				v += "+dirty"
			}
		}
	}
	return v
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := newApp(os.Stdout, os.Stderr).RunContext(ctx, os.Args)
	interrupted := ctx.Err() != nil
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "ebieot:", err)
	}
	if code := exitCode(err, interrupted); code != 0 {
		os.Exit(code)
	}
}

func newApp(stdout, stderr io.Writer) *cli.App {
	return &cli.App{
		Name:                 "ebieot",
		Usage:                "semi-supervised conditional generative modelling by inverse entropic optimal transport",
		Version:              buildVersion(),
		Writer:               stdout,
		ErrWriter:            stderr,
		Flags:                globalFlags(),
		EnableBashCompletion: true,
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return usageError{err}
		},
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
			completionCommand(),
		},
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return usagef("unknown command %q (see 'ebieot --help')", c.Args().First())
			}
			return cli.ShowAppHelp(c)
		},
	}
}

// globalFlags are defined on the app and again on every command, so that
// `ebieot --quiet fit …` and `ebieot fit … --quiet` both work.
func globalFlags() []cli.Flag {
	return []cli.Flag{
		&cli.IntFlag{Name: "threads", Usage: "worker goroutines (0 = all cores)", Value: 0, EnvVars: []string{"EBIEOT_THREADS"}},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print only results and errors"},
	}
}

// newCommand adds the global flags to cmd and wraps its action so that stray
// positional arguments are rejected and --threads takes effect.
func newCommand(cmd *cli.Command) *cli.Command {
	cmd.Flags = append(cmd.Flags, globalFlags()...)
	cmd.OnUsageError = func(_ *cli.Context, err error, _ bool) error { return usageError{err} }
	// urfave/cli checks required flags before any hook runs, so a stray word
	// (after which it ignores every flag) would be reported as a missing
	// flag; the check is done here instead, after the stray-word check.
	required := takeRequired(cmd.Flags)
	action := cmd.Action
	cmd.Action = func(c *cli.Context) error {
		if c.Args().Present() {
			return usagef("%s: unexpected argument %q: this command takes flags only (put every flag before any other word)", cmd.Name, c.Args().First())
		}
		var missing []string
		for _, name := range required {
			if !c.IsSet(name) {
				missing = append(missing, "--"+name)
			}
		}
		switch len(missing) {
		case 0:
		case 1:
			return usagef("%s: required flag %s not set (see 'ebieot %s --help')", cmd.Name, missing[0], c.Command.FullName())
		default:
			return usagef("%s: required flags %s not set (see 'ebieot %s --help')", cmd.Name, strings.Join(missing, ", "), c.Command.FullName())
		}
		n := threads(c)
		if n < 0 {
			return usagef("--threads %d: must be 0 (all cores) or positive", n)
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
			// The check runs in the action; the help still says so.
			*req = false
			names = append(names, f.Names()[0])
			markRequired(f)
		}
		if sf, ok := f.(*cli.Uint64Flag); ok && sf.Name == "seed" && len(sf.EnvVars) == 0 {
			sf.EnvVars = []string{"EBIEOT_SEED"}
		}
	}
	return names
}

// markRequired appends "(required)" to a flag's help text.
func markRequired(f cli.Flag) {
	switch f := f.(type) {
	case *cli.StringFlag:
		f.Usage += " (required)"
	case *cli.IntFlag:
		f.Usage += " (required)"
	case *cli.Float64Flag:
		f.Usage += " (required)"
	case *cli.Uint64Flag:
		f.Usage += " (required)"
	case *cli.BoolFlag:
		f.Usage += " (required)"
	}
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

// usageError is a mistake in how the command was called (an unknown flag,
// a missing or invalid flag value, a stray word): the exit status is 2, as
// for any command-line program, so that scripts can tell it from a failure
// of the work itself.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// usagef returns a usage error.
func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// Exit statuses.
const (
	exitFailure     = 1
	exitUsage       = 2
	exitInterrupted = 130 // 128 + SIGINT, as shells report it
)

// exitCode maps the error of a run to the process's exit status.
func exitCode(err error, interrupted bool) int {
	var ue usageError
	switch {
	case err == nil:
		return 0
	case interrupted || errors.Is(err, context.Canceled):
		return exitInterrupted
	case errors.As(err, &ue):
		return exitUsage
	}
	return exitFailure
}
