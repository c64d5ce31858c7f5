package datasets

import (
	"fmt"
	"io"

	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// maxPageRatio and minPageBound bound the uncompressed size of a page
// relative to its compressed size. The decoder allocates what a page header
// announces before it can find the page damaged, so a few flipped bits in
// a small file would otherwise cost gigabytes (on a pipeline worker, an
// out-of-memory kill instead of an error). Real pages stay far below: a
// writer cuts pages at about a megabyte, and a constant column compresses
// to some hundreds to one.
const (
	maxPageRatio = 2048
	minPageBound = 64 << 20
)

// checkPages reads the page headers of column c in row group g and checks
// that every page lies inside the column chunk the footer declares, and
// that no page announces an implausible uncompressed size.
func (pf *parquetFile) checkPages(g, c int) error {
	md := pf.file.Metadata()
	if g >= len(md.RowGroups) || c >= len(md.RowGroups[g].Columns) {
		return pf.colErr(c, fmt.Sprintf("row group %d has no column chunk for the column", g+1))
	}
	meta := md.RowGroups[g].Columns[c].MetaData
	damaged := func(format string, args ...any) error {
		return pf.colErr(c, fmt.Sprintf("row group %d: damaged column chunk: ", g+1)+fmt.Sprintf(format, args...))
	}
	start := meta.DataPageOffset
	if d := meta.DictionaryPageOffset; d > 0 && d < start {
		start = d
	}
	end := start + meta.TotalCompressedSize
	if start < 4 || meta.TotalCompressedSize < 0 || end > pf.file.Size() || end < start {
		return damaged("bytes %d to %d of a %d-byte file", start, end, pf.file.Size())
	}
	if meta.TotalUncompressedSize < 0 || meta.TotalUncompressedSize > max(minPageBound, maxPageRatio*meta.TotalCompressedSize) {
		return damaged("%d bytes uncompressed from %d", meta.TotalUncompressedSize, meta.TotalCompressedSize)
	}
	var protocol thrift.CompactProtocol
	window := make([]byte, 0, 1<<10)
	for pos := start; pos < end; {
		var h format.PageHeader
		var used int
		for n := int64(1 << 10); ; n *= 8 {
			// Headers are small, but statistics may make one larger than a
			// first guess; read more until it decodes or the chunk ends.
			n = min(n, end-pos)
			window = window[:n]
			if _, err := pf.file.ReadAt(window, pos); err != nil && err != io.EOF {
				return fmt.Errorf("read %s: %w", pf.name, err)
			}
			r := protocol.NewReaderFromBytes(window)
			err := thrift.NewDecoder(r).Decode(&h)
			if err == nil {
				used = r.BytesRead()
				break
			}
			if n == end-pos {
				return damaged("unreadable page header at byte %d (%v)", pos, err)
			}
			h = format.PageHeader{}
		}
		body := int64(h.CompressedPageSize)
		if body < 0 || h.UncompressedPageSize < 0 || pos+int64(used)+body > end {
			return damaged("a page at byte %d of %d bytes runs past the chunk's end at %d", pos, body, end)
		}
		if u := int64(h.UncompressedPageSize); u > max(minPageBound, maxPageRatio*body) || u > meta.TotalUncompressedSize {
			return damaged("a page at byte %d announces %d bytes uncompressed from %d", pos, u, body)
		}
		pos += int64(used) + body
	}
	return nil
}
