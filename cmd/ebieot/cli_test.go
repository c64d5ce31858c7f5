package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// cliBinary is the ebieot executable built once by TestMain for the end-to-end
// tests; it is set before any test runs and never changed afterwards.
var cliBinary string

// TestMain builds the command once into a temporary directory so that every
// CLI test runs the real binary (real flag parsing, real exit codes) without
// paying for a build each time.
func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "ebieot-cli-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "cli tests: temp dir:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	cliBinary = filepath.Join(dir, "ebieot")
	build := exec.Command(goTool(), "build", "-o", cliBinary, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "cli tests: go build:", err)
		return 1
	}
	return m.Run()
}

// goTool finds the go command: PATH first, then the toolchain the test binary
// itself was built with.
func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

// runCLI runs the built ebieot binary with args and returns what it printed
// and its exit code. A command that does not finish within two minutes is
// killed and fails the test, so a hung command cannot stall the suite.
func runCLI(t *testing.T, args ...string) (stdout, stderr string, exitCode int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, cliBinary, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("ebieot %q did not finish within the timeout", args)
	}
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return out.String(), errOut.String(), 0
	case errors.As(err, &exitErr):
		return out.String(), errOut.String(), exitErr.ExitCode()
	default:
		t.Fatalf("run ebieot %q: %v", args, err)
		return "", "", -1
	}
}

func TestCLIVersionAndUnknownCommand(t *testing.T) {
	out, _, code := runCLI(t, "--version")
	if code != 0 || !bytes.Contains([]byte(out), []byte("ebieot")) {
		t.Fatalf("--version: exit %d, output %q", code, out)
	}
	_, errOut, code := runCLI(t, "no-such-command")
	if code == 0 {
		t.Fatalf("unknown command exited 0 (stderr %q)", errOut)
	}
}
