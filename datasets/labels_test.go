package datasets

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestReadLabelled(t *testing.T) {
	const data = `a,b,label
1,2,cat
3,4,
5,6,dog
,,cat
7,8, bird of prey 
9,10,
`
	l, err := ReadLabelled(strings.NewReader(data), "d.csv", nil, "label")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(l.Classes, []string{"bird of prey", "cat", "dog"}) || !slices.Equal(l.XNames, []string{"a", "b"}) {
		t.Fatalf("classes %q, x %v", l.Classes, l.XNames)
	}
	if !slices.Equal(l.Y, []int{1, 2, 0}) || l.X.Rows != 3 || l.Unlabeled.Rows != 2 || !slices.Equal(l.Extra, []int{1}) {
		t.Fatalf("labelled %v (%d rows), unlabelled %d, extra %v", l.Y, l.X.Rows, l.Unlabeled.Rows, l.Extra)
	}
	if c := l.Counts(); !slices.Equal(c, []int{1, 2, 1}) {
		t.Errorf("counts %v", c)
	}
	s := l.Streams()
	if err := s.Validate(); err != nil || s.PairY.Data[0] != 1 || s.TargetY.Rows != 1 || s.SourceX.Rows != 2 {
		t.Errorf("streams %+v: %v", s, err)
	}
	num, err := ReadLabelled(strings.NewReader("x,y\n1,10\n2,2\n3,9\n"), "n.csv", []string{"x"}, "y")
	if err != nil || !slices.Equal(num.Classes, []string{"2", "9", "10"}) {
		t.Errorf("numeric classes %q (%v)", num.Classes, err)
	}
	for name, tc := range map[string]struct{ data, want string }{
		"one class":     {"x,y\n1,a\n2,a\n", "at least two"},
		"partial x":     {"x1,x2,y\n1,,a\n2,3,b\n", "line 2 column 2"},
		"no label":      {"x,z\n1,a\n", `no label column "y"`},
		"empty row":     {"x,y\n,\n1,a\n2,b\n", "neither x values nor a label"},
		"non-numeric x": {"x,y\nabc,a\n2,b\n", "not a number"},
	} {
		_, err := ReadLabelled(strings.NewReader(tc.data), "e.csv", nil, "y")
		if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", name, err, tc.want)
		}
	}
	if _, err := ReadLabelled(strings.NewReader("x,y\n1,a\n2,b\n"), "e.csv", []string{"x", "y"}, "y"); err == nil {
		t.Error("label column also an x column accepted")
	}
}

func TestReadClassPrior(t *testing.T) {
	dir := t.TempDir()
	write := func(s string) string {
		p := filepath.Join(dir, "p.csv")
		os.WriteFile(p, []byte(s), 0o644)
		return p
	}
	p, err := ReadClassPrior(write("class,weight\ncat,3\ndog,1\n"), []string{"cat", "dog"})
	if err != nil || p[0] != 0.75 || p[1] != 0.25 {
		t.Fatalf("prior %v, %v", p, err)
	}
	for name, tc := range map[string]struct{ data, want string }{
		"unknown class": {"class,weight\ncat,1\nfox,1\ndog,1\n", `line 3 column 1 (class): class "fox" is in the prior but in no row`},
		"missing class": {"class,weight\ncat,1\n", `class "dog" has no weight`},
		"bad weight":    {"class,weight\ncat,0\ndog,1\n", "positive finite"},
	} {
		_, err := ReadClassPrior(write(tc.data), []string{"cat", "dog"})
		if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", name, err, tc.want)
		}
	}
}
