//go:build unix

package cputime

import "testing"

func TestProcessAdvancesWithWork(t *testing.T) {
	before := Process()
	if before <= 0 {
		t.Fatalf("CPU time %v", before)
	}
	x := 0.0
	for i := 0; i < 50_000_000; i++ {
		x += float64(i & 7)
	}
	if Process() <= before || x == 0 {
		t.Fatal("CPU time did not advance over a busy loop")
	}
}
