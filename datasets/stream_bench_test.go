package datasets

import (
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// benchRows is the size of the tables the streaming benchmarks write once
// and read back: 10⁶ rows of 6 columns.
const benchRows, benchCols = 1_000_000, 6

// benchTable writes the benchmark table as path (once per process) with
// CreateTable, in 64 Ki-row chunks, and returns its path.
func benchTable(b *testing.B, ext string) string {
	b.Helper()
	path := filepath.Join(os.TempDir(), "ebieot-bench-rows"+ext)
	if _, err := os.Stat(path); err == nil {
		return path
	}
	rng := rand.New(rand.NewPCG(1, 2))
	w, err := CreateTable(path, columnNames("c", benchCols))
	if err != nil {
		b.Fatal(err)
	}
	chunk := NewMatrix(1<<16, benchCols)
	for done := 0; done < benchRows; done += chunk.Rows {
		part := chunk.Slice(0, min(chunk.Rows, benchRows-done))
		for k := range part.Data {
			part.Data[k] = rng.NormFloat64()
		}
		if err := w.Write(part); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Commit(); err != nil {
		b.Fatal(err)
	}
	return path
}

// benchmarkOpenRows reads the whole table in chunks of 8192 rows; rows/s
// is the figure to compare across formats.
func benchmarkOpenRows(b *testing.B, ext string) {
	path := benchTable(b, ext)
	b.ResetTimer()
	for b.Loop() {
		cols := []string{"c1", "c3", "c4", "c6"}
		if ext == ".npy" {
			cols = nil // no names to select by: every column
		}
		r, err := OpenRows(path, cols, "")
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			c, err := r.Next(8192)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n += c.Len()
		}
		r.Close()
		if n != benchRows {
			b.Fatalf("%d rows read, want %d", n, benchRows)
		}
	}
	b.ReportMetric(float64(benchRows*b.N)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkOpenRowsCSV(b *testing.B)     { benchmarkOpenRows(b, ".csv") }
func BenchmarkOpenRowsParquet(b *testing.B) { benchmarkOpenRows(b, ".parquet") }
func BenchmarkOpenRowsNPY(b *testing.B)     { benchmarkOpenRows(b, ".npy") }

// benchmarkCreateTable writes the table in 8192-row chunks.
func benchmarkCreateTable(b *testing.B, ext string) {
	rng := rand.New(rand.NewPCG(1, 3))
	chunk := NewMatrix(8192, benchCols)
	for k := range chunk.Data {
		chunk.Data[k] = rng.NormFloat64()
	}
	path := filepath.Join(b.TempDir(), "out"+ext)
	for b.Loop() {
		w, err := CreateTable(path, columnNames("c", benchCols))
		if err != nil {
			b.Fatal(err)
		}
		for done := 0; done < benchRows; done += chunk.Rows {
			if err := w.Write(chunk.Slice(0, min(chunk.Rows, benchRows-done))); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(benchRows*b.N)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkCreateTableCSV(b *testing.B)     { benchmarkCreateTable(b, ".csv") }
func BenchmarkCreateTableParquet(b *testing.B) { benchmarkCreateTable(b, ".parquet") }
func BenchmarkCreateTableNPY(b *testing.B)     { benchmarkCreateTable(b, ".npy") }
