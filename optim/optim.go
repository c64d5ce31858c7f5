package optim

// Segment is a contiguous range of the flat parameter vector. Rows and Cols
// give the shape of a row-major weight matrix (Rows*Cols == Len) and are zero
// for vectors; matrix methods (Muon, SoftMuon) need the shape.
type Segment struct {
	Name        string
	Offset, Len int
	Rows, Cols  int
}

// Group is a set of segments sharing hyperparameters (learning rate, weight
// decay). Groups must not overlap.
type Group struct {
	Name        string
	Segments    []Segment
	LR          float64
	WeightDecay float64
}

// Optimizer updates params in place from grad (same length).
type Optimizer interface {
	Step(params, grad []float64) error
}
