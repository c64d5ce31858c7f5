package eot

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/ebieot/ebieot/datasets"
	"github.com/ebieot/ebieot/energy"
	"github.com/ebieot/ebieot/internal/atomicfile"
)

// Model file identification. A reader accepts exactly FormatVersion; a file
// of another version is rejected with a message naming both.
const (
	FormatName    = "ebieot-model"
	FormatVersion = 1
)

// ErrModelFile is wrapped by every error about a malformed model file.
var ErrModelFile = errors.New("invalid model file")

// ModelFile is everything a trained model needs to be used on data in the
// user's original units. Parameters round-trip exactly: encoding/json writes
// the shortest decimal that parses back to the same float64.
type ModelFile struct {
	Format   string          `json:"format"`
	Version  int             `json:"version"`
	Spec     energy.Spec     `json:"spec"`
	XNames   []string        `json:"x_names"`
	YNames   []string        `json:"y_names"`
	Scaler   datasets.Scaler `json:"scaler"`
	Training Training        `json:"training"`
	Params   []float64       `json:"params"`
}

// Training records how a model was trained.
type Training struct {
	Steps       int             `json:"steps"`                   // total steps, over every resumed run
	Planned     int             `json:"planned_steps,omitempty"` // the total the last run was asked for
	Seed        uint64          `json:"seed"`
	DataDigest  string          `json:"data_digest"` // SHA-256 of the training streams
	Paired      int             `json:"paired"`
	Sources     int             `json:"sources"`
	Targets     int             `json:"targets"`
	Validation  int             `json:"validation_pairs"`
	BatchSize   int             `json:"batch_size"`
	LRCost      float64         `json:"lr_cost"`
	LRPotential float64         `json:"lr_potential"`
	Optimizer   OptimizerConfig `json:"optimizer"`
	Schedule    string          `json:"lr_schedule"`
	ClipNorm    float64         `json:"clip_norm,omitempty"`
	ValidFrac   float64         `json:"valid_frac,omitempty"`
	ValidEvery  int             `json:"valid_every,omitempty"`
	Patience    int             `json:"patience,omitempty"`
	KeepBest    bool            `json:"keep_best,omitempty"`
	Scaling     Scaling         `json:"scaling,omitempty"` // 0: standardised (or a file older than this field)
	// Init is "marginal" for a GMM started at the EM marginal; empty for
	// the paper's initialisation (and for files older than this field).
	Init string `json:"init,omitempty"`
	// Covariance is the covariance kind the configuration asked for
	// (empty: chosen or the spec's).
	Covariance string `json:"covariance,omitempty"`
	// Selection is the leaderboard of the model selection that chose the
	// hyperparameters, if one ran.
	Selection    *Leaderboard `json:"selection,omitempty"`
	BestStep     int          `json:"best_step,omitempty"`
	BestValidNLL *float64     `json:"best_valid_nll,omitempty"` // standardised units
	Stopped      Status       `json:"stopped"`
	Seconds      float64      `json:"seconds"`
	History      []LogEntry   `json:"history,omitempty"`
}

// logRow is LogEntry as stored: JSON has no NaN, so a term a model cannot
// compute, or a step without validation, is null.
type logRow struct {
	Step         int      `json:"step"`
	Paired       *float64 `json:"paired"`
	Target       *float64 `json:"target"`
	LogPartition *float64 `json:"log_partition"`
	Total        *float64 `json:"total"`
	ValidNLL     *float64 `json:"valid_nll"`
}

// MarshalJSON writes NaN and infinite fields as null.
func (e LogEntry) MarshalJSON() ([]byte, error) {
	opt := func(v float64) *float64 {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil
		}
		return &v
	}
	return json.Marshal(logRow{e.Step, opt(e.Paired), opt(e.Target), opt(e.LogPartition), opt(e.Total), opt(e.ValidNLL)})
}

// UnmarshalJSON reads null fields back as NaN.
func (e *LogEntry) UnmarshalJSON(b []byte) error {
	var row logRow
	if err := json.Unmarshal(b, &row); err != nil {
		return err
	}
	val := func(p *float64) float64 {
		if p == nil {
			return math.NaN()
		}
		return *p
	}
	*e = LogEntry{row.Step, val(row.Paired), val(row.Target), val(row.LogPartition), val(row.Total), val(row.ValidNLL)}
	return nil
}

// NewModelFile bundles a model with its column names and scaler.
func NewModelFile(m energy.Model, xNames, yNames []string, scaler datasets.Scaler, tr Training) *ModelFile {
	return &ModelFile{
		Format: FormatName, Version: FormatVersion, Spec: m.Spec(),
		XNames: append([]string(nil), xNames...), YNames: append([]string(nil), yNames...),
		Scaler: scaler, Training: tr, Params: append([]float64(nil), m.Params()...),
	}
}

// Save writes the model file atomically. The training record must name
// the data (Training.DataDigest): a model file that cannot say what it was
// trained on is refused.
func (f *ModelFile) Save(path string) error {
	if err := f.validate(); err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	if f.Training.DataDigest == "" {
		return fmt.Errorf("save %s: %w: the training record is empty (no data digest); train with eot.Train, or set Training from the run and DataDigest(data)", path, ErrModelFile)
	}
	return atomicfile.Write(path, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", " ")
		return enc.Encode(f)
	})
}

// LoadModel reads and validates a model file and rebuilds its model.
func LoadModel(path string) (*ModelFile, energy.Model, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("load model: %w", err)
	}
	return ParseModel(data, path)
}

// ReadModel is LoadModel for a model file read from r (standard input, or
// a distributed file system's reader); name identifies it in errors.
func ReadModel(r io.Reader, name string) (*ModelFile, energy.Model, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, nil, fmt.Errorf("load model %s: %w", name, err)
	}
	return ParseModel(data, name)
}

// ParseModel decodes and validates the bytes of a model file; path names
// it in errors.
func ParseModel(data []byte, path string) (*ModelFile, energy.Model, error) {
	var probe struct {
		Format  string `json:"format"`
		Version int    `json:"version"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, nil, fmt.Errorf("load model %s: %w: not JSON (%v)", path, ErrModelFile, err)
	}
	if probe.Format != FormatName {
		return nil, nil, fmt.Errorf("load model %s: %w: format %q, want %q (is this an ebieot model file?)", path, ErrModelFile, probe.Format, FormatName)
	}
	if probe.Version != FormatVersion {
		return nil, nil, fmt.Errorf("load model %s: %w: format version %d is not supported (this build reads version %d)", path, ErrModelFile, probe.Version, FormatVersion)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f ModelFile
	if err := dec.Decode(&f); err != nil {
		return nil, nil, fmt.Errorf("load model %s: %w: %v", path, ErrModelFile, err)
	}
	if err := f.validate(); err != nil {
		return nil, nil, fmt.Errorf("load model %s: %w", path, err)
	}
	m, err := Build(f.Spec, f.Params)
	if err != nil {
		return nil, nil, fmt.Errorf("load model %s: %w: %v", path, ErrModelFile, err)
	}
	return &f, m, nil
}

func (f *ModelFile) validate() error {
	if err := f.Spec.Validate(); err != nil {
		return fmt.Errorf("%w: %v", ErrModelFile, err)
	}
	if len(f.XNames) != f.Spec.XDim || len(f.YNames) != f.Spec.YDim {
		return fmt.Errorf("%w: %d x and %d y column names for a %d → %d model", ErrModelFile, len(f.XNames), len(f.YNames), f.Spec.XDim, f.Spec.YDim)
	}
	for _, side := range []struct {
		name string
		st   datasets.Standardizer
		dim  int
	}{{"x", f.Scaler.X, f.Spec.XDim}, {"y", f.Scaler.Y, f.Spec.YDim}} {
		if len(side.st.Mean) != side.dim || len(side.st.Std) != side.dim {
			return fmt.Errorf("%w: %s scaler has %d means and %d stds, want %d", ErrModelFile, side.name, len(side.st.Mean), len(side.st.Std), side.dim)
		}
		for j := range side.st.Mean {
			if !isFinite(side.st.Mean[j]) || !isFinite(side.st.Std[j]) || side.st.Std[j] <= 0 {
				return fmt.Errorf("%w: %s scaler column %d: mean %v, std %v", ErrModelFile, side.name, j+1, side.st.Mean[j], side.st.Std[j])
			}
		}
	}
	for i, p := range f.Params {
		if !isFinite(p) {
			return fmt.Errorf("%w: parameter %d is %v", ErrModelFile, i, p)
		}
	}
	return nil
}

func isFinite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// DataDigest is a SHA-256 over the column names and the exact bits of every
// value of the streams, so a model file names the data it was trained on.
func DataDigest(s *datasets.Streams) string {
	h := sha256.New()
	for _, names := range [][]string{s.XNames, s.YNames} {
		for _, n := range names {
			fmt.Fprintf(h, "%d:%s", len(n), n)
		}
		h.Write([]byte{0})
	}
	var buf [8]byte
	for _, m := range []datasets.Matrix{s.PairX, s.PairY, s.SourceX, s.TargetY} {
		binary.LittleEndian.PutUint64(buf[:], uint64(m.Rows))
		h.Write(buf[:])
		for _, v := range m.Data {
			binary.LittleEndian.PutUint64(buf[:], math.Float64bits(v))
			h.Write(buf[:])
		}
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}
