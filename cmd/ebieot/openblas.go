//go:build openblas

package main

// The openblas build tag routes the matrix products to OpenBLAS.
import _ "github.com/ebieot/ebieot/energy/openblas"
