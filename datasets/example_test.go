package datasets_test

import (
	"fmt"
	"log"
	"strings"

	"github.com/ebieot/ebieot/datasets"
)

// A three-stream CSV: a full row is a pair, a row with empty y cells an
// unpaired source, a row with empty x cells an unpaired target.
func ExampleReadStreams() {
	const data = `x1,x2,y1
0.3,-1.2,2.5
1.1,0.4,
,,3.0
-0.5,0.9,1.75
`
	s, err := datasets.ReadStreams(strings.NewReader(data), "data.csv", datasets.CSVOptions{XCols: []string{"x*"}, YCols: []string{"y1"}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("x %v, y %v\n", s.XNames, s.YNames)
	fmt.Printf("%d pairs, %d unpaired sources, %d unpaired targets\n", s.PairX.Rows, s.SourceX.Rows, s.TargetY.Rows)
	fmt.Println("second pair:", s.PairX.Row(1), s.PairY.Row(1))

	// Errors name the file, line and column.
	_, err = datasets.ReadStreams(strings.NewReader("x1,y1\n1,abc\n"), "bad.csv", datasets.CSVOptions{XCols: []string{"x1"}})
	fmt.Println(err)
	// Output:
	// x [x1 x2], y [y1]
	// 2 pairs, 1 unpaired sources, 1 unpaired targets
	// second pair: [-0.5 0.9] [1.75]
	// bad.csv line 2 column 2 (y1): not a number: "abc"
}
