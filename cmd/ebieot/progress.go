package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/urfave/cli/v2"
	"golang.org/x/term"
)

// quietAfter is how long a command runs before its row progress is shown
// at all: short runs stay silent.
const quietAfter = 2 * time.Second

// newRowProgress returns a progress callback for a command that works
// through rows (total < 0 when unknown): a bar on a terminal, a line at
// most every 30 s otherwise, nothing with --quiet or for runs shorter than
// a couple of seconds. finish ends the bar and, off a terminal, prints the
// final count if any line was printed.
func newRowProgress(c *cli.Context, what string, total int64) (update func(done int64), finish func()) {
	if quiet(c) {
		return func(int64) {}, func() {}
	}
	w := c.App.ErrWriter
	start := time.Now()
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		var bar *progressbar.ProgressBar
		return func(done int64) {
				if bar == nil {
					if time.Since(start) < quietAfter {
						return
					}
					bar = newRowBar(w, what, total)
				}
				bar.Set64(done)
			}, func() {
				if bar != nil {
					bar.Finish()
				}
			}
	}
	var last time.Time
	var printed bool
	var lastDone int64
	return func(done int64) {
			lastDone = done
			now := time.Now()
			if now.Sub(start) < quietAfter || now.Sub(last) < 30*time.Second {
				return
			}
			last, printed = now, true
			fmt.Fprintf(w, "%s: %s\n", what, rowCount(done, total))
		}, func() {
			if printed {
				fmt.Fprintf(w, "%s: %s, done in %s\n", what, rowCount(lastDone, total), time.Since(start).Round(time.Second))
			}
		}
}

func newRowBar(w io.Writer, what string, total int64) *progressbar.ProgressBar {
	return progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(w), progressbar.OptionSetWidth(30),
		progressbar.OptionSetDescription(what), progressbar.OptionShowCount(),
		progressbar.OptionShowIts(), progressbar.OptionSetItsString("rows"),
		progressbar.OptionThrottle(200*time.Millisecond), progressbar.OptionClearOnFinish())
}

func rowCount(done, total int64) string {
	if total < 0 {
		return fmt.Sprintf("%d rows", done)
	}
	return fmt.Sprintf("%d of %d rows", done, total)
}

// newStageProgress returns a callback that reports the stages of a long
// command as they start, once it has run for a couple of seconds (short
// runs stay silent), and nothing with --quiet.
func newStageProgress(c *cli.Context, what string) func(stage string) {
	if quiet(c) {
		return nil
	}
	start := time.Now()
	return func(stage string) {
		if el := time.Since(start); el >= quietAfter {
			fmt.Fprintf(c.App.ErrWriter, "%s: %s (%s so far)\n", what, stage, el.Round(time.Second))
		}
	}
}
