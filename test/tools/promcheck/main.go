// promcheck reads a /metrics body on stdin and checks it the way Prometheus does: it parses
// it with the text parser of github.com/prometheus/common/expfmt (what promtool and prom2json
// use) and lints it with client_golang's promlint (what `promtool check metrics` runs). It
// prints {"families": [...], "problems": [...]} as JSON; a body that does not parse exits 1
// with the parser's error on stderr.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Le is the bucket's upper bound as the text format spells it ("0.5", "+Inf").
type bucket struct {
	Le    string `json:"le"`
	Count uint64 `json:"count"`
}

type sample struct {
	Labels  map[string]string `json:"labels"`
	Value   *float64          `json:"value,omitempty"`
	Buckets []bucket          `json:"buckets,omitempty"`
	Count   *uint64           `json:"count,omitempty"`
	Sum     *float64          `json:"sum,omitempty"`
}

type family struct {
	Name    string   `json:"name"`
	Help    string   `json:"help"`
	Type    string   `json:"type"`
	Samples []sample `json:"samples"`
}

type problem struct {
	Metric string `json:"metric"`
	Text   string `json:"text"`
}

func sampleOf(m *dto.Metric) sample {
	s := sample{Labels: map[string]string{}}
	for _, l := range m.GetLabel() {
		s.Labels[l.GetName()] = l.GetValue()
	}
	switch {
	case m.Gauge != nil:
		v := m.GetGauge().GetValue()
		s.Value = &v
	case m.Counter != nil:
		v := m.GetCounter().GetValue()
		s.Value = &v
	case m.Untyped != nil:
		v := m.GetUntyped().GetValue()
		s.Value = &v
	case m.Histogram != nil:
		h := m.GetHistogram()
		for _, b := range h.GetBucket() {
			le := strconv.FormatFloat(b.GetUpperBound(), 'g', -1, 64)
			if math.IsInf(b.GetUpperBound(), 1) {
				le = "+Inf"
			}
			s.Buckets = append(s.Buckets, bucket{Le: le, Count: b.GetCumulativeCount()})
		}
		c, sum := h.GetSampleCount(), h.GetSampleSum()
		s.Count, s.Sum = &c, &sum
	}
	return s
}

func main() {
	body, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	parsed, err := parser.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	lints, err := promlint.New(bytes.NewReader(body)).Lint()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	out := struct {
		Families []family  `json:"families"`
		Problems []problem `json:"problems"`
	}{Families: []family{}, Problems: []problem{}}
	for _, f := range parsed {
		fam := family{Name: f.GetName(), Help: f.GetHelp(), Type: f.GetType().String(), Samples: []sample{}}
		for _, m := range f.GetMetric() {
			fam.Samples = append(fam.Samples, sampleOf(m))
		}
		out.Families = append(out.Families, fam)
	}
	sort.Slice(out.Families, func(i, j int) bool { return out.Families[i].Name < out.Families[j].Name })
	for _, p := range lints {
		out.Problems = append(out.Problems, problem{Metric: p.Metric, Text: p.Text})
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
}
