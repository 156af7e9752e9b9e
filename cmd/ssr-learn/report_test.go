package main

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/selfplay-swe/ssr/rewards"
)

func TestHistogramBins(t *testing.T) {
	got := histogram([]float64{0, 0.25, 0.26, 0.5, 0.75, 0.76, 0.99, 1, 0.1})
	want := []int{1, 2, 2, 1, 2, 1} // 0 | .1 .25 | .26 .5 | .75 | .76 .99 | 1
	if !reflect.DeepEqual(got, want) {
		t.Errorf("histogram = %v, want %v (bins %v)", got, want, rateBins)
	}
}

func TestReadSettings(t *testing.T) {
	t.Setenv("LEARN_DURATION", "15m")
	t.Setenv("LEARN_ATTEMPTS", "4")
	s, err := readSettings()
	if err != nil || s.Duration != 15*time.Minute || s.Attempts != 4 || s.K != 4 || s.Bugs != 40 {
		t.Fatalf("settings %+v (%v): want 15m, 4 attempts, k 4 by default, 40 bugs", s, err)
	}
	t.Setenv("LEARN_K", "5")
	t.Setenv("LEARN_BUGS", "lots")
	_, err = readSettings()
	if err == nil || !strings.Contains(err.Error(), "LEARN_K=5") || !strings.Contains(err.Error(), "LEARN_BUGS=lots") {
		t.Errorf("bad settings: %v, want both named", err)
	}
}

// The verdict line says whether the intervals overlap.
func TestMarkdownVerdict(t *testing.T) {
	r := &report{Settings: settings{K: 1, Attempts: 1, Duration: time.Hour}, Windows: make([]window, 2)}
	r.Uniform.SuccessAt1 = rewards.Interval{Estimate: 0.2, Lo: 0.1, Hi: 0.3}
	r.Final.SuccessAt1 = rewards.Interval{Estimate: 0.5, Lo: 0.35, Hi: 0.65}
	if md := r.markdown(); !strings.Contains(md, "Difference in success@1: +0.300; the intervals do not overlap") {
		t.Errorf("markdown verdict for separated intervals:\n%s", md)
	}
	r.Final.SuccessAt1.Lo = 0.25
	if md := r.markdown(); !strings.Contains(md, "the intervals overlap") {
		t.Error("overlapping intervals must be said to overlap")
	}
}
