package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"
)

// namedPath is a file flag and its value.
type namedPath struct{ flag, path string }

// paths returns the non-empty values of the named flags, skipping "-"
// (standard input or output).
func paths(c *cli.Context, flags ...string) []namedPath {
	var out []namedPath
	for _, f := range flags {
		if p := c.String(f); p != "" && p != "-" {
			out = append(out, namedPath{f, p})
		}
	}
	return out
}

// checkOutputs refuses, before any work starts, an output that could not
// be written or whose writing would destroy something: a missing
// directory, an existing file that is not a regular file (a FIFO, a
// device, a directory; a symbolic link is judged by what it points to), a
// read-only file, an output that is one of the inputs, and two outputs
// that are one file. Work that runs for minutes must not be lost to a typo
// noticed only when the result is written. Naming one file twice is a
// usage error (exit 2); a path the file system cannot take is not.
func checkOutputs(outputs, inputs []namedPath) error {
	for i, o := range outputs {
		if err := checkWritable(o); err != nil {
			return err
		}
		for _, in := range inputs {
			if same(o.path, in.path) {
				return usagef("--%s %s is also the input --%s: writing it would destroy the input; choose another output file", o.flag, o.path, in.flag)
			}
		}
		for _, p := range outputs[:i] {
			if same(o.path, p.path) {
				return usagef("--%s and --%s are both %s: one output would overwrite the other", p.flag, o.flag, o.path)
			}
		}
	}
	return nil
}

// checkWritable checks one output path.
func checkWritable(o namedPath) error {
	dir := filepath.Dir(o.path)
	st, err := os.Stat(dir)
	switch {
	case err != nil && os.IsNotExist(err):
		return fmt.Errorf("--%s %s: the directory %s does not exist (no such file or directory)", o.flag, o.path, dir)
	case err != nil:
		return fmt.Errorf("--%s %s: %w", o.flag, o.path, err)
	case !st.IsDir():
		return fmt.Errorf("--%s %s: %s is not a directory", o.flag, o.path, dir)
	}
	st, err = os.Stat(o.path) // follows a symbolic link
	switch {
	case err != nil && os.IsNotExist(err):
		return nil
	case err != nil:
		return fmt.Errorf("--%s %s: %w", o.flag, o.path, err)
	case !st.Mode().IsRegular():
		return fmt.Errorf("--%s %s is %s, not a regular file: it is not replaced (use - for standard output)", o.flag, o.path, kindOf(st.Mode()))
	case st.Mode().Perm()&0o222 == 0:
		return fmt.Errorf("--%s %s is read-only: it is not replaced", o.flag, o.path)
	}
	return nil
}

func kindOf(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "a special file"
}

// same reports whether two paths name one file: the same file when both
// exist (hard and symbolic links included), or the same clean absolute
// path.
func same(a, b string) bool {
	sa, errA := os.Stat(a)
	sb, errB := os.Stat(b)
	if errA == nil && errB == nil {
		return os.SameFile(sa, sb)
	}
	absA, errA := filepath.Abs(a)
	absB, errB := filepath.Abs(b)
	return errA == nil && errB == nil && absA == absB
}

// wrote reports the files a command wrote, on standard output; a table
// written to standard output ("-") is the output itself, so it is not
// announced.
func wrote(c *cli.Context, flags ...string) error {
	for _, f := range flags {
		if p := c.String(f); p != "" && p != "-" {
			fmt.Fprintf(c.App.Writer, "wrote %s\n", p)
		}
	}
	return nil
}
