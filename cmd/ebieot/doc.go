// Command ebieot fits, samples, scores and evaluates semi-supervised
// conditional generative models (EBiEOT) from CSV data, and solves entropic
// optimal transport problems between point clouds.
//
// Global flags (--threads, --quiet) are accepted before or after the
// subcommand. Commands take flags only: a stray positional argument is an
// error, because urfave/cli silently ignores flags that follow one.
package main
