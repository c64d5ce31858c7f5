// Package optim holds first-order optimizers over flat parameter vectors with
// parameter groups: Adam and AdamW, Signum and SoftSignum, Muon and SoftMuon
// (for blocks that are weight matrices), and the adaptive GRAAL family with a
// convex-minimisation entry point.
package optim
