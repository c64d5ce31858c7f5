// Package baseline holds reference conditional models to compare the EBiEOT
// learners against. They are fitted on the paired data only, so they show
// what the unpaired streams add.
//
// LinearGaussian is the regression baseline: y | x ~ N(W x + c, Σ) with
// (W, c) from (ridge) least squares and Σ the residual covariance. Like the
// models in package energy it samples the conditional (Sample has the
// signature of energy.Model.Sample) and scores it exactly (it satisfies
// energy.Density), so evaluation code can treat it as one more model.
// Points are row-major []float64 with explicit row counts and dimensions, as
// in package energy.
package baseline
