package datasets

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// recordReader splits CSV (RFC 4180: comma separator, double-quoted fields
// with "" for a quote, quoted fields may span lines; CRLF or LF line ends; an
// optional UTF-8 byte order mark) into records without allocating per record:
// the fields of the current record alias internal buffers that the next call
// to next overwrites. encoding/csv allocates a string per record, which is a
// third of the cost of loading a large numeric table.
type recordReader struct {
	br       *bufio.Reader
	file     string
	line     int      // line on which the current record starts
	physical int      // physical lines consumed so far
	fields   [][]byte // fields of the current record
	long     []byte   // a physical line longer than the bufio buffer
	quoted   []byte   // unescaped content of a record that contains quotes
	ends     []int    // field end offsets into quoted
	started  bool
}

func newRecordReader(r io.Reader, file string) *recordReader {
	return &recordReader{br: bufio.NewReaderSize(r, 1<<16), file: file}
}

// reset starts reading r from its beginning, as for a fresh reader, keeping
// the buffers.
func (rr *recordReader) reset(r io.Reader) {
	rr.br.Reset(r)
	rr.line, rr.physical, rr.started = 0, 0, false
	rr.fields = rr.fields[:0]
}

func (rr *recordReader) formatError(col int, reason string) error {
	return &FormatError{File: rr.file, Line: rr.line, Column: col, Reason: reason}
}

// readLine returns the next physical line without its line terminator, or
// io.EOF when there is none. The slice is valid until the next call.
func (rr *recordReader) readLine() ([]byte, error) {
	line, err := rr.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		rr.long = append(rr.long[:0], line...)
		for errors.Is(err, bufio.ErrBufferFull) {
			line, err = rr.br.ReadSlice('\n')
			rr.long = append(rr.long, line...)
		}
		line = rr.long
	}
	if len(line) == 0 && err != nil {
		if err == io.EOF {
			return nil, io.EOF
		}
		return nil, fmt.Errorf("read %s: %w", rr.file, err)
	}
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("read %s: %w", rr.file, err)
	}
	rr.physical++
	if n := len(line); n > 0 && line[n-1] == '\n' {
		line = line[:n-1]
	}
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	if !rr.started {
		rr.started = true
		line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf"))
	}
	return line, nil
}

// next reads the next record, skipping blank lines. It returns false at the
// end of the input.
func (rr *recordReader) next() (bool, error) {
	for {
		line, err := rr.readLine()
		if err == io.EOF {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		rr.line = rr.physical
		if len(trimBlank(line)) == 0 {
			continue // blank, or only spaces and tabs
		}
		rr.fields = rr.fields[:0]
		if bytes.IndexByte(line, '"') < 0 {
			for {
				i := bytes.IndexByte(line, ',')
				if i < 0 {
					rr.fields = append(rr.fields, line)
					return true, nil
				}
				rr.fields = append(rr.fields, line[:i])
				line = line[i+1:]
			}
		}
		return true, rr.splitQuoted(line)
	}
}

// splitQuoted handles a record with at least one quote character, copying
// the unescaped fields into rr.quoted because a quoted field may continue on
// the following physical lines.
func (rr *recordReader) splitQuoted(line []byte) error {
	rr.quoted, rr.ends = rr.quoted[:0], rr.ends[:0]
	for col := 1; ; col++ {
		var more bool
		var err error
		if len(line) > 0 && line[0] == '"' {
			line, more, err = rr.quotedField(line[1:], col)
		} else {
			line, more, err = rr.plainField(line, col)
		}
		if err != nil {
			return err
		}
		rr.ends = append(rr.ends, len(rr.quoted))
		if !more {
			break
		}
	}
	start := 0
	for _, end := range rr.ends {
		rr.fields = append(rr.fields, rr.quoted[start:end:end])
		start = end
	}
	return nil
}

// plainField appends the unquoted field at the start of line to rr.quoted and
// returns what follows its comma, and whether there was a comma.
func (rr *recordReader) plainField(line []byte, col int) (rest []byte, more bool, err error) {
	field := line
	i := bytes.IndexByte(line, ',')
	if i >= 0 {
		field = line[:i]
	}
	if bytes.IndexByte(field, '"') >= 0 {
		return nil, false, rr.formatError(col, `quote (") inside an unquoted field; quote the whole field and double the inner quotes`)
	}
	rr.quoted = append(rr.quoted, field...)
	if i < 0 {
		return nil, false, nil
	}
	return line[i+1:], true, nil
}

// quotedField appends the content of the quoted field whose opening quote
// has just been consumed, reading further physical lines while it is open.
func (rr *recordReader) quotedField(line []byte, col int) (rest []byte, more bool, err error) {
	for {
		i := bytes.IndexByte(line, '"')
		if i < 0 {
			rr.quoted = append(rr.quoted, line...)
			rr.quoted = append(rr.quoted, '\n')
			line, err = rr.readLine()
			if err == io.EOF {
				return nil, false, rr.formatError(col, "quoted field is not closed before the end of the file")
			}
			if err != nil {
				return nil, false, err
			}
			continue
		}
		rr.quoted = append(rr.quoted, line[:i]...)
		line = line[i+1:]
		switch {
		case len(line) > 0 && line[0] == '"': // "" stands for one quote
			rr.quoted = append(rr.quoted, '"')
			line = line[1:]
		case len(line) == 0:
			return nil, false, nil
		case line[0] == ',':
			return line[1:], true, nil
		default:
			return nil, false, rr.formatError(col, "text after the closing quote of a quoted field")
		}
	}
}
