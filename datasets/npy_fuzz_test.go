package datasets

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzReadNPY feeds damaged .npy and .npz files to the NumPy readers: each
// must return a finite, well-shaped matrix or an error, never panic, and
// never allocate more than the input holds (a header may announce any
// shape). The corpus starts from the fixtures numpy wrote.
//
//	go test ./datasets -run '^$' -fuzz '^FuzzReadNPY$' -fuzztime 20s
func FuzzReadNPY(f *testing.F) {
	for _, pattern := range []string{"*.npy", "*.npz"} {
		paths, _ := filepath.Glob(filepath.Join("testdata", "formats", pattern))
		for _, p := range paths {
			b, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if m, err := ReadNPY(bytes.NewReader(b), "fuzz"); err == nil {
			checkFiniteMatrix(t, m)
			if m.Rows*m.Cols*8 > len(b) {
				t.Fatalf("%d×%d values from %d bytes", m.Rows, m.Cols, len(b))
			}
		}
		if rr, err := NewNPYRows(bytes.NewReader(b), "fuzz", nil); err == nil {
			drainRows(t, rr)
		}
		if s, err := ReadStreamsNPZ(bytes.NewReader(b), int64(len(b)), "fuzz", CSVOptions{}); err == nil {
			if err := s.Validate(); err != nil {
				t.Fatalf("streams read without error are malformed: %v", err)
			}
		}
	})
}
