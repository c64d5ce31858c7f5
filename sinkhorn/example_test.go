package sinkhorn_test

import (
	"context"
	"fmt"
	"log"

	"github.com/ebieot/ebieot/points"
	"github.com/ebieot/ebieot/sinkhorn"
)

// Entropic OT between three points on a line and two targets: the plan's
// rows sum to the source weights and its columns to the target weights.
func ExampleSolve() {
	x := points.Set{Rows: 3, Cols: 1, Data: []float64{0, 1, 2}}
	y := points.Set{Rows: 2, Cols: 1, Data: []float64{0.5, 1.5}}
	p, err := sinkhorn.NewProblem(x, y, sinkhorn.SqEuclidean)
	if err != nil {
		log.Fatal(err)
	}
	res, err := sinkhorn.Solve(context.Background(), p, sinkhorn.Options{Eps: 0.1, Tol: 1e-12, Threads: 1})
	if err != nil {
		log.Fatal(err)
	}
	plan := res.Plan()
	fmt.Printf("converged %v, OT_ε %.4f\n", res.Converged, res.Objective)
	for i := range 3 {
		fmt.Printf("x=%g sends %.3f to y=0.5 and %.3f to y=1.5\n", x.Data[i], plan[i*2], plan[i*2+1])
	}
	// Output:
	// converged true, OT_ε 0.2962
	// x=0 sends 0.333 to y=0.5 and 0.000 to y=1.5
	// x=1 sends 0.167 to y=0.5 and 0.167 to y=1.5
	// x=2 sends 0.000 to y=0.5 and 0.333 to y=1.5
}
