package score

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/fileio"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/ebieot/ebieot/datasets"
)

func init() {
	register.DoFn3x1[context.Context, fileio.FileMetadata, func(fileRows), error](&countFn{})
	register.DoFn4x1[context.Context, fileio.FileMetadata, func(*fileRows) bool, func(Batch), error](&readFn{})
	register.Emitter1[fileRows]()
	register.Emitter1[Batch]()
	register.Iter1[fileRows]()
}

// fileRows is the number of data rows of one input file.
type fileRows struct {
	Path string
	Rows int64
}

// local reports whether path is on the local filesystem, which is read
// directly; other schemes go through Beam's filesystems.
func local(path string) bool {
	i := strings.Index(path, "://")
	return i < 0 || path[:i] == "file"
}

// openRows opens an input shard for reading the columns cols; done
// releases it. A local file streams with bounded memory; a Parquet object
// on a remote filesystem is read whole first, because Parquet is read out
// of order and Beam's filesystems offer only sequential reads.
func openRows(ctx context.Context, path string, cols []string, idCol string) (r *datasets.RowReader, done func(), err error) {
	if local(path) {
		r, err := datasets.OpenRows(strings.TrimPrefix(path, "file://"), cols, idCol)
		if err != nil {
			return nil, nil, err
		}
		return r, func() { r.Close() }, nil
	}
	fs, err := filesystem.New(ctx, path)
	if err != nil {
		return nil, nil, err
	}
	defer fs.Close()
	rc, err := fs.OpenRead(ctx, path)
	if err != nil {
		return nil, nil, fmt.Errorf("open %s: %w", path, err)
	}
	switch datasets.FormatOf(path) {
	case datasets.FormatParquet:
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return nil, nil, fmt.Errorf("read %s: %w", path, err)
		}
		r, err := datasets.NewParquetRows(bytes.NewReader(b), int64(len(b)), path, cols, idCol)
		if err != nil {
			return nil, nil, err
		}
		return r, func() {}, nil
	case datasets.FormatNPY:
		if idCol != "" {
			err = fmt.Errorf("%s: a .npy file has no id column %q", path, idCol)
		} else {
			r, err = datasets.NewNPYRows(rc, path, cols)
		}
	default:
		r, err = datasets.NewCSVRows(rc, path, cols, idCol)
	}
	if err != nil {
		rc.Close()
		return nil, nil, err
	}
	return r, func() { rc.Close() }, nil
}

// countFn counts the data rows of each file, checking every selected cell
// on the way, so that rows can be numbered across files.
type countFn struct {
	Cols []string
}

func (f *countFn) ProcessElement(ctx context.Context, file fileio.FileMetadata, emit func(fileRows)) error {
	r, done, err := openRows(ctx, file.Path, f.Cols, "")
	if err != nil {
		return err
	}
	defer done()
	var n int64
	for {
		c, err := r.Next(1 << 14)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		n += int64(c.Len())
	}
	emit(fileRows{Path: file.Path, Rows: n})
	return nil
}

// readFn reads a file in batches, numbering its rows after those of the
// files whose paths sort before it.
type readFn struct {
	Cols      []string
	IDCol     string
	BatchRows int
	RowOffset int64
}

func (f *readFn) ProcessElement(ctx context.Context, file fileio.FileMetadata, counts func(*fileRows) bool, emit func(Batch)) error {
	start := f.RowOffset
	var c fileRows
	for counts(&c) {
		if c.Path < file.Path {
			start += c.Rows
		}
	}
	r, done, err := openRows(ctx, file.Path, f.Cols, f.IDCol)
	if err != nil {
		return err
	}
	defer done()
	for {
		chunk, err := r.Next(f.BatchRows)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		emit(Batch{Start: start + chunk.Start, Cols: chunk.X.Cols, Values: chunk.X.Data, IDs: chunk.IDs})
	}
}
