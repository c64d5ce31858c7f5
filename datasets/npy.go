package datasets

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// The NumPy .npy format (numpy.lib.format, versions 1 to 3): a magic
// string, a version, the length of a header, and the header itself, a
// Python dict literal such as
//
//	{'descr': '<f8', 'fortran_order': False, 'shape': (1000, 3), }
//
// padded with spaces and ended by a newline; the raw values follow. It is
// parsed here directly rather than through a general Python-literal
// evaluator so that a matrix streams in block by block, and so that a
// damaged header is an error naming what is wrong rather than a panic.

const npyMagic = "\x93NUMPY"

// npyHeaderSize is the size of the headers written here (magic, version,
// length and dict): room for two 20-digit dimensions, so that a streamed
// file can rewrite its shape in place once the rows are counted.
const npyHeaderSize = 128

// maxNPYHeader bounds the dict length a reader accepts; numpy itself
// refuses headers over 10 000 bytes unless told otherwise.
const maxNPYHeader = 1 << 16

// npyArray describes the data of one .npy stream.
type npyArray struct {
	descr   string
	kind    byte // 'f' float, 'i' signed, 'u' unsigned integer, 'U' UTF-32 or 'S' byte string
	size    int  // bytes per element
	order   binary.ByteOrder
	fortran bool
	shape   []int
}

// elements is the number of elements, or −1 if it overflows an int.
func (a *npyArray) elements() int {
	n := 1
	for _, d := range a.shape {
		if d != 0 && n > math.MaxInt/d {
			return -1
		}
		n *= d
	}
	return n
}

// matrixShape returns the shape as rows × columns: a 2-D array as it is, a
// 1-D array as one column.
func (a *npyArray) matrixShape(name string) (rows, cols int, err error) {
	switch len(a.shape) {
	case 1:
		return a.shape[0], 1, nil
	case 2:
		if a.shape[0] > 0 && a.shape[1] == 0 {
			return 0, 0, &FormatError{File: name, Reason: fmt.Sprintf("array of shape %s has rows but no columns", shapeString(a.shape))}
		}
		return a.shape[0], a.shape[1], nil
	}
	return 0, 0, &FormatError{File: name, Reason: fmt.Sprintf("array of shape %s; want a matrix (2-D, or 1-D for one column)", shapeString(a.shape))}
}

func shapeString(shape []int) string {
	parts := make([]string, len(shape))
	for i, d := range shape {
		parts[i] = strconv.Itoa(d)
	}
	if len(parts) == 1 {
		return "(" + parts[0] + ",)"
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// readNPYHeader reads the header of a .npy stream from r, leaving r at the
// first value; name identifies it in errors.
func readNPYHeader(r io.Reader, name string) (*npyArray, error) {
	bad := func(format string, args ...any) error {
		return &FormatError{File: name, Reason: fmt.Sprintf(format, args...)}
	}
	var pre [8]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, bad("not a .npy file: shorter than its magic string")
		}
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if string(pre[:6]) != npyMagic {
		return nil, bad(`not a .npy file: no \x93NUMPY magic string`)
	}
	var n int
	switch major := pre[6]; major {
	case 1:
		var l [2]byte
		if _, err := io.ReadFull(r, l[:]); err != nil {
			return nil, bad("truncated .npy header")
		}
		n = int(binary.LittleEndian.Uint16(l[:]))
	case 2, 3:
		var l [4]byte
		if _, err := io.ReadFull(r, l[:]); err != nil {
			return nil, bad("truncated .npy header")
		}
		v := binary.LittleEndian.Uint32(l[:])
		if v > maxNPYHeader {
			return nil, bad(".npy header of %d bytes (at most %d are read)", v, maxNPYHeader)
		}
		n = int(v)
	default:
		return nil, bad(".npy format version %d.%d (versions 1 to 3 are read)", major, pre[7])
	}
	dict := make([]byte, n)
	if _, err := io.ReadFull(r, dict); err != nil {
		return nil, bad("truncated .npy header (%d bytes announced)", n)
	}
	a, err := parseNPYDict(dict)
	if err != nil {
		return nil, bad(".npy header %s: %v", quoteCell(bytes.TrimSpace(dict)), err)
	}
	return a, nil
}

// parseNPYDict parses the header dict: exactly the keys descr, fortran_order
// and shape, in any order, with Python literal values.
func parseNPYDict(b []byte) (*npyArray, error) {
	p := &pyLit{s: b}
	if !p.eat('{') {
		return nil, errors.New("not a dict")
	}
	a := &npyArray{}
	seen := map[string]bool{}
	for !p.eat('}') {
		key, err := p.str()
		if err != nil {
			return nil, err
		}
		if seen[key] {
			return nil, fmt.Errorf("key %q twice", key)
		}
		seen[key] = true
		if !p.eat(':') {
			return nil, fmt.Errorf("no ':' after %q", key)
		}
		switch key {
		case "descr":
			if p.peek() == '[' {
				return nil, errors.New("a structured dtype (record array); save a plain float array, e.g. numpy.column_stack of the fields")
			}
			if a.descr, err = p.str(); err != nil {
				return nil, err
			}
		case "fortran_order":
			if a.fortran, err = p.boolean(); err != nil {
				return nil, err
			}
		case "shape":
			if a.shape, err = p.tuple(); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("unexpected key %q", key)
		}
		if !p.eat(',') {
			if !p.eat('}') {
				return nil, errors.New("expected ',' or '}'")
			}
			break
		}
	}
	if p.skip(); p.i != len(p.s) {
		return nil, errors.New("text after the dict")
	}
	for _, k := range []string{"descr", "fortran_order", "shape"} {
		if !seen[k] {
			return nil, fmt.Errorf("no %q key", k)
		}
	}
	if err := a.setDescr(a.descr); err != nil {
		return nil, err
	}
	if n := a.elements(); n < 0 || n > math.MaxInt/a.size {
		return nil, fmt.Errorf("shape %s is too large", shapeString(a.shape))
	}
	return a, nil
}

// setDescr interprets a simple dtype string: byte order, kind, size.
func (a *npyArray) setDescr(d string) error {
	unsupported := fmt.Errorf("dtype %q is not read (numbers must be float64 '<f8', float32 '<f4' or integers)", d)
	if len(d) < 3 {
		return unsupported
	}
	switch d[0] {
	case '<', '|':
		a.order = binary.LittleEndian
	case '=':
		// Native order; numpy writes it only for one-byte types, and every
		// platform Go and numpy share here is little-endian.
		a.order = binary.LittleEndian
	case '>':
		a.order = binary.BigEndian
	default:
		return unsupported
	}
	size, err := strconv.Atoi(d[2:])
	if err != nil || size <= 0 || size > 1<<16 {
		return unsupported
	}
	a.kind, a.size = d[1], size
	switch {
	case a.kind == 'f' && (size == 4 || size == 8):
	case (a.kind == 'i' || a.kind == 'u') && (size == 1 || size == 2 || size == 4 || size == 8):
	case a.kind == 'U':
		a.size = 4 * size // UTF-32 code units
	case a.kind == 'S':
	default:
		return unsupported
	}
	return nil
}

// numeric reports whether the elements are numbers.
func (a *npyArray) numeric() bool { return a.kind == 'f' || a.kind == 'i' || a.kind == 'u' }

// pyLit scans the few Python literals of a .npy header.
type pyLit struct {
	s []byte
	i int
}

func (p *pyLit) skip() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n' || p.s[p.i] == '\r') {
		p.i++
	}
}

func (p *pyLit) peek() byte {
	p.skip()
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *pyLit) eat(c byte) bool {
	if p.peek() == c && p.i < len(p.s) {
		p.i++
		return true
	}
	return false
}

func (p *pyLit) str() (string, error) {
	q := p.peek()
	if q != '\'' && q != '"' {
		return "", errors.New("expected a string")
	}
	end := bytes.IndexByte(p.s[p.i+1:], q)
	if end < 0 {
		return "", errors.New("unterminated string")
	}
	v := string(p.s[p.i+1 : p.i+1+end])
	p.i += end + 2
	return v, nil
}

func (p *pyLit) boolean() (bool, error) {
	p.skip()
	switch {
	case bytes.HasPrefix(p.s[p.i:], []byte("True")):
		p.i += 4
		return true, nil
	case bytes.HasPrefix(p.s[p.i:], []byte("False")):
		p.i += 5
		return false, nil
	}
	return false, errors.New("expected True or False")
}

func (p *pyLit) tuple() ([]int, error) {
	if !p.eat('(') {
		return nil, errors.New("expected a tuple")
	}
	shape := []int{}
	for !p.eat(')') {
		p.skip()
		j := p.i
		for j < len(p.s) && p.s[j] >= '0' && p.s[j] <= '9' {
			j++
		}
		if j == p.i {
			return nil, errors.New("expected a dimension")
		}
		d, err := strconv.Atoi(string(p.s[p.i:j]))
		if err != nil {
			return nil, fmt.Errorf("dimension %s is too large", p.s[p.i:j])
		}
		p.i = j
		if shape = append(shape, d); len(shape) > 32 {
			return nil, errors.New("too many dimensions")
		}
		if !p.eat(',') {
			if !p.eat(')') {
				return nil, errors.New("expected ',' or ')'")
			}
			break
		}
	}
	return shape, nil
}

// decodeNumbers decodes len(dst) numeric elements of a from raw.
func (a *npyArray) decodeNumbers(raw []byte, dst []float64) {
	o := a.order
	switch {
	case a.kind == 'f' && a.size == 8:
		for k := range dst {
			dst[k] = math.Float64frombits(o.Uint64(raw[8*k:]))
		}
	case a.kind == 'f':
		for k := range dst {
			dst[k] = float64(math.Float32frombits(o.Uint32(raw[4*k:])))
		}
	case a.size == 1:
		for k := range dst {
			if a.kind == 'i' {
				dst[k] = float64(int8(raw[k]))
			} else {
				dst[k] = float64(raw[k])
			}
		}
	case a.size == 2:
		for k := range dst {
			if v := o.Uint16(raw[2*k:]); a.kind == 'i' {
				dst[k] = float64(int16(v))
			} else {
				dst[k] = float64(v)
			}
		}
	case a.size == 4:
		for k := range dst {
			if v := o.Uint32(raw[4*k:]); a.kind == 'i' {
				dst[k] = float64(int32(v))
			} else {
				dst[k] = float64(v)
			}
		}
	default:
		for k := range dst {
			if v := o.Uint64(raw[8*k:]); a.kind == 'i' {
				dst[k] = float64(int64(v))
			} else {
				dst[k] = float64(v)
			}
		}
	}
}

// ReadNPY reads a matrix from a .npy stream: a 2-D array (or a 1-D array,
// read as one column) of float64, float32 or integer values, little- or
// big-endian, in C or Fortran order. Values must be finite, as in the CSV
// readers; an error names the row and column. name identifies the stream
// in errors. Memory grows with the data actually read, not with the shape
// the header announces, so a damaged header cannot make it allocate more
// than the file holds.
func ReadNPY(r io.Reader, name string) (Matrix, error) {
	a, err := readNPYHeader(r, name)
	if err != nil {
		return Matrix{}, err
	}
	return readNPYMatrix(r, name, a)
}

func readNPYMatrix(r io.Reader, name string, a *npyArray) (Matrix, error) {
	if !a.numeric() {
		return Matrix{}, &FormatError{File: name, Reason: fmt.Sprintf("dtype %q holds strings, not numbers", a.descr)}
	}
	rows, cols, err := a.matrixShape(name)
	if err != nil {
		return Matrix{}, err
	}
	nr := &npyRows{r: r, name: name, a: a, rows: rows, cols: cols}
	m, err := nr.next(rows)
	if err != nil && err != io.EOF {
		return Matrix{}, err
	}
	if a.fortran && rows > 1 && cols > 1 {
		// The values came column by column.
		t := NewMatrix(rows, cols)
		for j := range cols {
			for i := range rows {
				t.Data[i*cols+j] = m.Data[j*rows+i]
			}
		}
		m = t
	}
	m.Rows, m.Cols = rows, cols
	return m, nil
}

// npyRows reads the values of a numeric array block by block.
type npyRows struct {
	r          io.Reader
	name       string
	a          *npyArray
	rows, cols int
	done       int // rows read
	buf        []byte
}

// npyBlock is the number of values decoded per read: the unit by which
// memory grows, so that a header announcing more data than the file holds
// costs no more than the data.
const npyBlock = 1 << 16

// next reads up to max rows (for a Fortran-ordered array, that many rows'
// worth of values in file order), or io.EOF once every row is read.
func (nr *npyRows) next(max int) (Matrix, error) {
	left := nr.rows - nr.done
	if left == 0 {
		return Matrix{Cols: nr.cols, Data: []float64{}}, io.EOF
	}
	want := min(left, max)
	total := want * nr.cols
	m := Matrix{Cols: nr.cols, Data: make([]float64, 0, min(total, npyBlock))}
	for len(m.Data) < total {
		k := min(total-len(m.Data), npyBlock)
		need := k * nr.a.size
		if cap(nr.buf) < need {
			nr.buf = make([]byte, need)
		}
		raw := nr.buf[:need]
		if n, err := io.ReadFull(nr.r, raw); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				got := nr.done*nr.cols + len(m.Data) + n/nr.a.size
				return Matrix{}, &FormatError{File: nr.name, Reason: fmt.Sprintf(
					"truncated: the data ends after %d of the %d values of shape %s", got, nr.rows*nr.cols, shapeString(nr.a.shape))}
			}
			return Matrix{}, fmt.Errorf("read %s: %w", nr.name, err)
		}
		start := len(m.Data)
		m.Data = append(m.Data, make([]float64, k)...)
		nr.a.decodeNumbers(raw, m.Data[start:])
		for j, v := range m.Data[start:] {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				idx := nr.done*nr.cols + start + j
				row, col := idx/nr.cols, idx%nr.cols
				if nr.a.fortran {
					row, col = idx%nr.rows, idx/nr.rows
				}
				return Matrix{}, &FormatError{File: nr.name, Row: row + 1, Column: col + 1,
					Reason: fmt.Sprintf("NaN and infinite values are not allowed: %v", v)}
			}
		}
	}
	m.Rows = want
	nr.done += want
	return m, nil
}

// npyHeader returns the header written here for a float64 C-order matrix
// of the given shape, padded to npyHeaderSize bytes.
func npyHeader(rows, cols int) []byte {
	dict := fmt.Sprintf("{'descr': '<f8', 'fortran_order': False, 'shape': (%d, %d), }", rows, cols)
	h := make([]byte, 0, npyHeaderSize)
	h = append(h, npyMagic...)
	h = append(h, 1, 0)
	h = binary.LittleEndian.AppendUint16(h, uint16(npyHeaderSize-10))
	h = append(h, dict...)
	for len(h) < npyHeaderSize-1 {
		h = append(h, ' ')
	}
	return append(h, '\n')
}

// appendNPYValues appends the little-endian float64 encoding of vals.
func appendNPYValues(buf []byte, vals []float64) []byte {
	for _, v := range vals {
		buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(v))
	}
	return buf
}

// WriteNPY writes m as a .npy stream (float64, little-endian, C order,
// shape (rows, cols)), which numpy.load reads back exactly. Values must be
// finite, because the readers reject anything else.
func WriteNPY(w io.Writer, m Matrix) error {
	if err := m.Validate(); err != nil {
		return err
	}
	if err := checkFinite("matrix", m); err != nil {
		return err
	}
	if _, err := w.Write(npyHeader(m.Rows, m.Cols)); err != nil {
		return err
	}
	buf := make([]byte, 0, 8*4096)
	for lo := 0; lo < len(m.Data); lo += 4096 {
		buf = appendNPYValues(buf[:0], m.Data[lo:min(len(m.Data), lo+4096)])
		if _, err := w.Write(buf); err != nil {
			return err
		}
	}
	return nil
}

// npyStrings encodes names as a 1-D array of fixed-width Unicode strings
// ('<Un', UTF-32), numpy's type for an array of str.
func npyStrings(names []string) []byte {
	width := 1
	for _, s := range names {
		width = max(width, len([]rune(s)))
	}
	dict := fmt.Sprintf("{'descr': '<U%d', 'fortran_order': False, 'shape': (%d,), }", width, len(names))
	h := append([]byte(npyMagic), 1, 0, 0, 0)
	total := (len(h) + len(dict) + 1 + 63) / 64 * 64
	binary.LittleEndian.PutUint16(h[8:], uint16(total-10))
	h = append(h, dict...)
	for len(h) < total-1 {
		h = append(h, ' ')
	}
	h = append(h, '\n')
	for _, s := range names {
		rs := []rune(s)
		for k := range width {
			var r rune
			if k < len(rs) {
				r = rs[k]
			}
			h = binary.LittleEndian.AppendUint32(h, uint32(r))
		}
	}
	return h
}

// decodeStrings decodes a 1-D string array ('U' or 'S' kind) of n elements
// from raw; numpy pads shorter strings with NULs.
func (a *npyArray) decodeStrings(raw []byte, n int) []string {
	out := make([]string, n)
	for i := range n {
		e := raw[i*a.size : (i+1)*a.size]
		if a.kind == 'S' {
			out[i] = string(bytes.TrimRight(e, "\x00"))
			continue
		}
		rs := make([]rune, 0, a.size/4)
		for k := 0; k+4 <= len(e); k += 4 {
			r := rune(a.order.Uint32(e[k:]))
			if r == 0 {
				break
			}
			rs = append(rs, r)
		}
		out[i] = string(rs)
	}
	return out
}
