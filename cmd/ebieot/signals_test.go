package main

import (
	"bytes"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ebieot/ebieot/eot"
)

// startFit starts a long fit in the background and returns it with its
// stderr.
func startFit(t *testing.T, data, out string, extra ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	args := append([]string{"fit", "--data", data, "--x-cols", "x*", "--y-cols", "y*", "--potentials", "3", "--cost-components", "2",
		"--covariance", "diag", "--steps", "100000000", "--select=false", "--valid-frac", "0", "--out", out}, extra...)
	cmd := exec.Command(cliBinary, args...)
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, &errOut
}

func waitExit(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		cmd.Process.Kill()
		t.Fatal("fit did not stop within a minute")
	}
	return cmd.ProcessState.ExitCode()
}

// TestInterruptSavesBesideACompleteModel: SIGINT ends a fit with status
// 130 and a loadable model; when --out already holds a finished model, the
// interrupted one goes beside it and the finished one is untouched.
func TestInterruptSavesBesideACompleteModel(t *testing.T) {
	dir := t.TempDir()
	data, _ := writeGaussian(t, dir, 200, 400, 7)
	out := filepath.Join(dir, "m.json")
	if _, stderr, code := runCLI(t, "fit", "--data", data, "--x-cols", "x*", "--y-cols", "y*", "--potentials", "2", "--cost-components", "1",
		"--covariance", "diag", "--steps", "50", "--select=false", "--out", out, "-q"); code != 0 {
		t.Fatal(stderr)
	}
	before, _ := os.ReadFile(out)
	cmd, errOut := startFit(t, data, out)
	time.Sleep(1500 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGINT)
	if code := waitExit(t, cmd); code != 130 {
		t.Fatalf("exit %d after SIGINT, want 130; stderr %s", code, errOut)
	}
	if after, _ := os.ReadFile(out); !bytes.Equal(before, after) {
		t.Error("the interrupted fit replaced the finished model")
	}
	beside := filepath.Join(dir, "m.interrupted.json")
	m, err := eot.Load(beside)
	if err != nil {
		t.Fatalf("interrupted model: %v (stderr %s)", err, errOut)
	}
	if m.Training.Stopped != eot.Interrupted || !strings.Contains(errOut.String(), beside) {
		t.Errorf("stopped %v, stderr %q", m.Training.Stopped, errOut)
	}
	// Interrupting a fresh fit saves to --out itself.
	fresh := filepath.Join(dir, "fresh.json")
	cmd, errOut = startFit(t, data, fresh)
	time.Sleep(1500 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGTERM)
	if code := waitExit(t, cmd); code != 130 {
		t.Fatalf("exit %d after SIGTERM, want 130; stderr %s", code, errOut)
	}
	if _, err := eot.Load(fresh); err != nil {
		t.Fatal(err)
	}
}

// TestKillNeverCorruptsAndResumeContinues is the fault-injection test: a
// fit killed with SIGKILL at a random moment leaves the previous --out file
// intact, and its checkpoint resumes from the last saved step.
func TestKillNeverCorruptsAndResumeContinues(t *testing.T) {
	if testing.Short() {
		t.Skip("kills fits at random moments")
	}
	dir := t.TempDir()
	data, _ := writeGaussian(t, dir, 200, 400, 8)
	out := filepath.Join(dir, "m.json")
	if _, stderr, code := runCLI(t, "fit", "--data", data, "--x-cols", "x*", "--y-cols", "y*", "--potentials", "2", "--cost-components", "1",
		"--covariance", "diag", "--steps", "30", "--select=false", "--out", out, "-q"); code != 0 {
		t.Fatal(stderr)
	}
	before, _ := os.ReadFile(out)
	rng := rand.New(rand.NewPCG(1, 2))
	checkpoint := filepath.Join(dir, "m.checkpoint.json")
	for trial := range 4 {
		cmd, _ := startFit(t, data, out, "--checkpoint-every", "0.2")
		time.Sleep(time.Duration(500+rng.IntN(1500)) * time.Millisecond)
		cmd.Process.Kill()
		cmd.Wait()
		if after, _ := os.ReadFile(out); !bytes.Equal(before, after) {
			t.Fatalf("trial %d: SIGKILL changed the previous model file", trial)
		}
		// Whatever the moment, no half-written file is left under a
		// model's name.
		if _, err := os.Stat(checkpoint); err == nil {
			if _, err := eot.Load(checkpoint); err != nil {
				t.Fatalf("trial %d: checkpoint does not load: %v", trial, err)
			}
		}
	}
	cp, err := eot.Load(checkpoint)
	if err != nil {
		t.Fatalf("no checkpoint after the kills: %v", err)
	}
	resumed := filepath.Join(dir, "r.json")
	if _, stderr, code := runCLI(t, "fit", "--data", data, "--x-cols", "x*", "--y-cols", "y*", "--resume", checkpoint, "--steps", "10", "--out", resumed, "-q"); code != 0 {
		t.Fatal(stderr)
	}
	r, err := eot.Load(resumed)
	if err != nil {
		t.Fatal(err)
	}
	if r.Training.Steps != cp.Training.Steps+10 {
		t.Errorf("resumed to step %d, checkpoint at %d + 10", r.Training.Steps, cp.Training.Steps)
	}
}

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	data, _ := writeGaussian(t, dir, 50, 50, 9)
	for name, tc := range map[string]struct {
		args []string
		code int
	}{
		"unknown flag":    {[]string{"fit", "--bogus"}, 2},
		"unknown command": {[]string{"frobnicate"}, 2},
		"bad value":       {[]string{"fit", "--data", data, "--x-cols", "x*", "--valid-frac", "-0.5", "--out", filepath.Join(dir, "a.json")}, 2},
		"missing file":    {[]string{"inspect", "--data", filepath.Join(dir, "none.csv"), "--x-cols", "x"}, 1},
		"bad data":        {[]string{"fit", "--data", data, "--x-cols", "nope", "--out", filepath.Join(dir, "b.json")}, 1},
		"help":            {[]string{"help"}, 0},
		"command help":    {[]string{"help", "fit"}, 0},
	} {
		if _, stderr, code := runCLI(t, tc.args...); code != tc.code {
			t.Errorf("%s: exit %d, want %d (%s)", name, code, tc.code, stderr)
		}
	}
}
