package parallel

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
)

func TestForRunsEveryTaskOnceAndReportsLowestError(t *testing.T) {
	for _, threads := range []int{1, 2, 7} {
		var seen [100]atomic.Int32
		err := For(context.Background(), threads, len(seen), func(w, task int) error {
			if w < 0 || w >= Workers(threads, len(seen)) {
				return fmt.Errorf("worker %d out of range", w)
			}
			seen[task].Add(1)
			return nil
		})
		if err != nil {
			t.Fatalf("threads %d: %v", threads, err)
		}
		for i := range seen {
			if n := seen[i].Load(); n != 1 {
				t.Fatalf("threads %d: task %d ran %d times", threads, i, n)
			}
		}
		bad := errors.New("bad")
		err = For(context.Background(), threads, 50, func(_, task int) error {
			if task == 3 || task == 40 {
				return fmt.Errorf("task %d: %w", task, bad)
			}
			return nil
		})
		if !errors.Is(err, bad) || err.Error() != "task 3: bad" {
			t.Errorf("threads %d: error %v, want task 3's", threads, err)
		}
	}
}

func TestForStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var ran atomic.Int32
	err := For(ctx, 2, 1000, func(_, task int) error {
		if ran.Add(1) == 5 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	if n := ran.Load(); n >= 1000 {
		t.Errorf("all %d tasks ran after the cancel", n)
	}
	if err := For(ctx, 1, 0, func(int, int) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("no tasks on a cancelled context: %v", err)
	}
}

func TestBlocksPartitionDependsOnlyOnSizeAndThreads(t *testing.T) {
	for _, n := range []int{1, 2, 5, 64, 101} {
		for _, threads := range []int{1, 2, 3, 8} {
			nb := Workers(threads, n)
			lo, hi := make([]int, nb), make([]int, nb)
			err := Blocks(context.Background(), threads, n, func(b, l, h int) { lo[b], hi[b] = l, h })
			if err != nil {
				t.Fatal(err)
			}
			next := 0
			for b := range nb {
				if lo[b] != next || hi[b] <= lo[b] {
					t.Fatalf("n %d threads %d: block %d is [%d, %d), want to start at %d", n, threads, b, lo[b], hi[b], next)
				}
				next = hi[b]
			}
			if next != n {
				t.Fatalf("n %d threads %d: blocks end at %d", n, threads, next)
			}
		}
	}
}

func TestThreadsDefault(t *testing.T) {
	if Threads(3) != 3 || Threads(0) < 1 || Threads(-1) < 1 {
		t.Errorf("Threads(3) = %d, Threads(0) = %d, Threads(-1) = %d", Threads(3), Threads(0), Threads(-1))
	}
}
