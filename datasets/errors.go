package datasets

import (
	"errors"
	"fmt"
	"strings"
)

// ErrFormat is wrapped by every error about the content of a data file (as
// opposed to failing to open or read it), so callers can tell a user's data
// problem from an I/O problem with errors.Is.
var ErrFormat = errors.New("invalid data file")

// FormatError locates a problem in a data file. Line, Row and Column are
// 1-based; zero means the problem is not about one line (e.g. an empty
// stream) or one column (e.g. a ragged row).
type FormatError struct {
	File   string
	Line   int    // text files: the line
	Row    int    // binary files (Parquet, .npy), which have no lines: the data row
	Column int    // index in the file's header row (Parquet schema, array columns)
	Name   string // header name of Column, when known
	Reason string
}

func (e *FormatError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, " line %d", e.Line)
	}
	if e.Row > 0 {
		fmt.Fprintf(&b, " row %d", e.Row)
	}
	if e.Column > 0 {
		if e.Name != "" {
			fmt.Fprintf(&b, " column %d (%s)", e.Column, e.Name)
		} else {
			fmt.Fprintf(&b, " column %d", e.Column)
		}
	}
	b.WriteString(": ")
	b.WriteString(e.Reason)
	return b.String()
}

// Is makes errors.Is(err, ErrFormat) true for every FormatError.
func (e *FormatError) Is(target error) bool { return target == ErrFormat }
