package datasets

import "math"

// ColumnSummary describes the values of one column.
type ColumnSummary struct {
	Name      string
	N         int
	Mean, Std float64 // Std: population standard deviation, 0 for a constant column
	Min, Max  float64
}

// Summarize describes every column over the rows of all parts, which must
// have len(names) columns (parts with no rows are skipped). Without any row,
// N = 0 and the statistics are NaN.
func Summarize(names []string, parts ...Matrix) []ColumnSummary {
	rows := 0
	for _, m := range parts {
		rows += m.Rows
	}
	out := make([]ColumnSummary, len(names))
	for j := range out {
		out[j] = ColumnSummary{Name: names[j], N: rows, Min: math.Inf(1), Max: math.Inf(-1)}
	}
	if rows == 0 {
		for j := range out {
			out[j].Mean, out[j].Std, out[j].Min, out[j].Max = math.NaN(), math.NaN(), math.NaN(), math.NaN()
		}
		return out
	}
	mean, std, _ := columnMoments(len(names), parts...)
	for _, m := range parts {
		for i := range m.Rows {
			for j, v := range m.Row(i) {
				out[j].Min = math.Min(out[j].Min, v)
				out[j].Max = math.Max(out[j].Max, v)
			}
		}
	}
	for j := range out {
		out[j].Mean, out[j].Std = mean[j], std[j]
	}
	return out
}
