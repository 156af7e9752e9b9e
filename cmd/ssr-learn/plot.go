package main

import (
	"fmt"
	"image/color"
	"os"

	"github.com/selfplay-swe/ssr/rewards"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

var (
	blue   = color.RGBA{R: 0x2c, G: 0x6f, B: 0xb5, A: 0xff}
	orange = color.RGBA{R: 0xd6, G: 0x5f, B: 0x2c, A: 0xff}
	grey   = color.RGBA{R: 0x88, G: 0x88, B: 0x88, A: 0xff}
)

// plot draws three panels to path: success on the held-out set before and after, with intervals; the valid
// share and solve rate over the run; the solve-rate distribution of the injector's bugs.
func (r *report) plot(path string) error {
	panels := make([]*plot.Plot, 0, 3)
	for _, f := range []func() (*plot.Plot, error){r.heldoutPanel, r.runPanel, r.ratesPanel} {
		p, err := f()
		if err != nil {
			return fmt.Errorf("plot: %w", err)
		}
		panels = append(panels, p)
	}
	const w, h = 24 * vg.Centimeter, 30 * vg.Centimeter
	c := vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(100), vgimg.UseBackgroundColor(color.White))}
	tiles := draw.Tiles{Rows: len(panels), Cols: 1, PadX: vg.Centimeter, PadY: vg.Centimeter,
		PadTop: vg.Centimeter / 2, PadBottom: vg.Centimeter / 2, PadLeft: vg.Centimeter / 2, PadRight: vg.Centimeter / 2}
	grid := [][]*plot.Plot{}
	for _, p := range panels {
		grid = append(grid, []*plot.Plot{p})
	}
	cs := plot.Align(grid, tiles, draw.New(c))
	for i := range grid {
		grid[i][0].Draw(cs[i][0])
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := c.WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// heldoutPanel: success@1 and pass@k of both versions with their 95% intervals.
func (r *report) heldoutPanel() (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("held-out set (%d bugs): before and after %s of self-play", r.SetBugs, r.Settings.Duration)
	p.Y.Label.Text = "solve rate (95% CI)"
	p.Y.Min, p.Y.Max = 0, 1
	p.Add(plotter.NewGrid())
	names := []string{fmt.Sprintf("uniform (v%d)", r.Uniform.Version), fmt.Sprintf("final (v%d)", r.Final.Version)}
	for j, m := range []struct {
		name string
		get  func(evalResult) rewards.Interval
		c    color.Color
	}{
		{"success@1 (Wilson)", func(e evalResult) rewards.Interval { return e.SuccessAt1 }, blue},
		{fmt.Sprintf("pass@%d (bootstrap over bugs)", r.Settings.K), func(e evalResult) rewards.Interval { return e.PassAtK }, orange},
	} {
		pts := make(plotter.XYs, 2)
		errs := make(plotter.YErrors, 2)
		for i, e := range []evalResult{r.Uniform, r.Final} {
			iv := m.get(e)
			pts[i] = plotter.XY{X: float64(i) + 0.12*float64(2*j-1), Y: iv.Estimate}
			errs[i] = struct{ Low, High float64 }{iv.Estimate - iv.Lo, iv.Hi - iv.Estimate}
		}
		sc, err := plotter.NewScatter(pts)
		if err != nil {
			return nil, err
		}
		sc.GlyphStyle.Color, sc.GlyphStyle.Radius = m.c, vg.Points(4)
		eb, err := plotter.NewYErrorBars(struct {
			plotter.XYer
			plotter.YErrorer
		}{pts, errs})
		if err != nil {
			return nil, err
		}
		eb.LineStyle.Color, eb.LineStyle.Width = m.c, vg.Points(1.5)
		p.Add(sc, eb)
		p.Legend.Add(m.name, sc)
	}
	p.Legend.Top = true
	p.X.Min, p.X.Max = -0.5, 1.5
	p.NominalX(names...)
	return p, nil
}

// runPanel: valid-artifact share and solver solve rate per window of the learning run.
func (r *report) runPanel() (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "self-play run: valid-artifact share and solve rate"
	p.X.Label.Text = "minutes since the run's first artifact"
	p.Y.Min, p.Y.Max = 0, 1
	p.Add(plotter.NewGrid())
	for _, s := range []struct {
		name string
		v    func(window) (float64, bool)
		c    color.Color
	}{
		{"valid share of first-order artifacts", func(w window) (float64, bool) { return w.validShare, w.Artifacts > 0 }, orange},
		{"solver solve rate", func(w window) (float64, bool) { return w.solve, w.Attempts > 0 }, blue},
	} {
		var pts plotter.XYs
		for _, w := range r.Windows {
			if v, ok := s.v(w); ok {
				pts = append(pts, plotter.XY{X: (w.From + w.To).Minutes() / 2, Y: v})
			}
		}
		if len(pts) == 0 {
			continue
		}
		l, sc, err := plotter.NewLinePoints(pts)
		if err != nil {
			return nil, err
		}
		l.Color, sc.Color = s.c, s.c
		p.Add(l, sc)
		p.Legend.Add(s.name, l, sc)
	}
	p.Legend.Top = true
	return p, nil
}

// ratesPanel: the solve-rate distribution of the injector's bugs, first and second half of the run.
func (r *report) ratesPanel() (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "solve rates of the injector's first-order bugs"
	p.Y.Label.Text = "bugs"
	w := vg.Points(14)
	for i, s := range []struct {
		name  string
		rates []float64
		c     color.Color
	}{{"first half", r.EarlyRates, grey}, {"second half", r.LateRates, blue}} {
		h := histogram(s.rates)
		vals := make(plotter.Values, len(h))
		for k, n := range h {
			vals[k] = float64(n)
		}
		b, err := plotter.NewBarChart(vals, w)
		if err != nil {
			return nil, err
		}
		b.Color, b.LineStyle.Width = s.c, 0
		b.Offset = w * vg.Length(2*i-1) / 2
		p.Add(b)
		p.Legend.Add(fmt.Sprintf("%s (%d bugs)", s.name, len(s.rates)), b)
	}
	p.Legend.Top = true
	p.NominalX(rateBins...)
	return p, nil
}
