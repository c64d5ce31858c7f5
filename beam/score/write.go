package score

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/ebieot/ebieot/datasets"
)

func init() {
	register.DoFn2x1[context.Context, Scored, error](&writeFn{})
}

// ShardName is the output shard of the batch whose first row has the
// global index start: zero-padded, so that the shards sort in row order.
func ShardName(prefix string, start int64, format string) string {
	return fmt.Sprintf("%s-%012d.%s", prefix, start, format)
}

// writeFn writes each scored batch as its own shard. A shard's name and
// content depend only on its rows, so a runner that retries a bundle
// rewrites the same file. Where the filesystem can rename (local disks),
// the shard appears only once complete; object stores (gs, s3) publish an
// object only when its upload completes.
type writeFn struct {
	Prefix string
	Format string
	Names  []string
}

func (f *writeFn) ProcessElement(ctx context.Context, s Scored) error {
	m := datasets.Matrix{Rows: len(s.Values) / max(1, s.Cols), Cols: s.Cols, Data: s.Values}
	if m.Cols != len(f.Names) {
		return fmt.Errorf("a batch of %d columns for an output of %d", m.Cols, len(f.Names))
	}
	var buf bytes.Buffer
	switch f.Format {
	case "parquet":
		if err := datasets.WriteTableParquet(&buf, f.Names, m); err != nil {
			return err
		}
	default:
		w := datasets.NewCSVTableWriter(&buf, f.Names)
		if err := w.Write(m); err != nil {
			return err
		}
		if err := w.Commit(); err != nil {
			return err
		}
	}
	name := ShardName(f.Prefix, s.Start, f.Format)
	fs, err := filesystem.New(ctx, name)
	if err != nil {
		return err
	}
	defer fs.Close()
	target := name
	renamer, canRename := fs.(filesystem.Renamer)
	if canRename {
		target = fmt.Sprintf("%s.tmp-%016x", name, rand.Uint64())
	}
	w, err := fs.OpenWrite(ctx, target)
	if err != nil {
		return fmt.Errorf("write %s: %w", target, err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		w.Close()
		return fmt.Errorf("write %s: %w", target, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("write %s: %w", target, err)
	}
	if canRename {
		if err := renamer.Rename(ctx, target, name); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
	}
	return nil
}
