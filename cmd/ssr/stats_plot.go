package main

import (
	"cmp"
	"fmt"
	"image/color"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/selfplay-swe/ssr/arena/store"
)

// Colours of the two roles and of the second series of a panel.
var (
	injectorColour = color.RGBA{R: 0xd6, G: 0x5f, B: 0x2c, A: 0xff}
	solverColour   = color.RGBA{R: 0x2c, G: 0x6f, B: 0xb5, A: 0xff}
	roleColour     = map[store.Role]color.Color{store.RoleInjector: injectorColour, store.RoleSolver: solverColour}
)

// writeStatsPlot draws a job's stats as six panels (3 rows of 2) to path: PNG or SVG as format says.
func writeStatsPlot(s store.Stats, job, format, path string) error {
	plots, err := statsPlots(s, job)
	if err != nil {
		return fmt.Errorf("plot stats of %s: %w", job, err)
	}
	const w, h = 30 * vg.Centimeter, 30 * vg.Centimeter
	var canvas vg.CanvasWriterTo
	switch format {
	case "png":
		canvas = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(110), vgimg.UseBackgroundColor(color.White))}
	case "svg":
		canvas = vgsvg.New(w, h)
	default:
		return fmt.Errorf("plot format %q: want png or svg", format)
	}
	dc := draw.New(canvas)
	tiles := draw.Tiles{Rows: len(plots), Cols: len(plots[0]), PadX: vg.Centimeter, PadY: vg.Centimeter,
		PadTop: vg.Centimeter / 2, PadBottom: vg.Centimeter / 2, PadLeft: vg.Centimeter / 2, PadRight: vg.Centimeter / 2}
	cs := plot.Align(plots, tiles, dc)
	for i := range plots {
		for j := range plots[i] {
			plots[i][j].Draw(cs[i][j])
		}
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := canvas.WriteTo(f); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}

// statsPlots are the panels: the valid share of artifacts and the solve rate over time; mean rewards per
// role over time; solve rate and mean reward per policy version; F2P sizes; rejections by step; the
// strategy and order mix.
func statsPlots(s store.Stats, job string) ([][]*plot.Plot, error) {
	hours := bucketKeys(s.ByHour)
	short := make([]string, len(hours))
	for i, h := range hours {
		short[i] = h
		if len(h) == len("2006-01-02T15") {
			short[i] = strings.Replace(h[5:], "T", " ", 1) + "h" // MM-DD HHh
		}
	}
	overTime := newPlot("valid artifacts and solved attempts per hour (UTC)", "", "share")
	overTime.Y.Min, overTime.Y.Max = 0, 1
	if err := addLines(overTime, s.ByHour, hours, func(b store.RoleBucket) float64 { return b.SolveRate },
		map[store.Role]string{store.RoleInjector: "valid / proposed", store.RoleSolver: "solved / attempts"}); err != nil {
		return nil, err
	}
	overTime.NominalX(thin(short, 8)...)

	rewards := newPlot("mean reward per hour (UTC)", "", "reward")
	rewards.Y.Min, rewards.Y.Max = -1, 1
	if err := addLines(rewards, s.ByHour, hours, func(b store.RoleBucket) float64 { return b.MeanReward },
		map[store.Role]string{store.RoleInjector: "injector", store.RoleSolver: "solver"}); err != nil {
		return nil, err
	}
	rewards.NominalX(thin(short, 8)...)

	versions := bucketKeys(s.ByPolicy)
	policy := newPlot("per policy version", "policy version", "")
	policy.Y.Min, policy.Y.Max = -1, 1
	if err := addLines(policy, s.ByPolicy, versions, func(b store.RoleBucket) float64 { return b.MeanReward },
		map[store.Role]string{store.RoleInjector: "injector mean reward", store.RoleSolver: "solver mean reward"}); err != nil {
		return nil, err
	}
	if err := addLines(policy, s.ByPolicy, versions, func(b store.RoleBucket) float64 { return b.SolveRate },
		map[store.Role]string{store.RoleSolver: "solve rate"}, draw.LineStyle{Dashes: []vg.Length{vg.Points(4), vg.Points(2)}}); err != nil {
		return nil, err
	}
	policy.NominalX(thin(versions, 12)...)

	f2p, err := barPlot("F2P tests per bug", "F2P tests", "bugs", s.F2PSizes, solverColour)
	if err != nil {
		return nil, err
	}
	rejections, err := barPlot(fmt.Sprintf("rejections by step (yield %s)", yieldText(s)), "", "artifacts", s.Rejections, injectorColour)
	if err != nil {
		return nil, err
	}
	mix, err := mixPlot(s.Mix)
	if err != nil {
		return nil, err
	}
	overTime.Title.Text = job + ": " + overTime.Title.Text
	return [][]*plot.Plot{{overTime, rewards}, {policy, f2p}, {rejections, mix}}, nil
}

func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text, p.X.Label.Text, p.Y.Label.Text = title, x, y
	p.Legend.Top = true
	p.Add(plotter.NewGrid())
	return p
}

// bucketKeys are the buckets' keys in order, each once.
func bucketKeys(bs []store.RoleBucket) []string {
	seen := map[string]bool{}
	var keys []string
	for _, b := range bs {
		if !seen[b.Key] {
			seen[b.Key] = true
			keys = append(keys, b.Key)
		}
	}
	sortKeys(keys)
	return keys
}

// addLines adds one line per role named in legend, with the value v of each bucket at its key's position.
func addLines(p *plot.Plot, bs []store.RoleBucket, keys []string, v func(store.RoleBucket) float64, legend map[store.Role]string, style ...draw.LineStyle) error {
	at := map[string]int{}
	for i, k := range keys {
		at[k] = i
	}
	for _, role := range []store.Role{store.RoleInjector, store.RoleSolver} {
		name, ok := legend[role]
		if !ok {
			continue
		}
		var xys plotter.XYs
		for _, b := range bs {
			if b.Role == role {
				xys = append(xys, plotter.XY{X: float64(at[b.Key]), Y: v(b)})
			}
		}
		if len(xys) == 0 {
			continue
		}
		l, pts, err := plotter.NewLinePoints(xys)
		if err != nil {
			return err
		}
		if len(style) > 0 {
			l.LineStyle = style[0]
		}
		l.LineStyle.Width = vg.Points(1.5)
		l.LineStyle.Color, pts.Color = roleColour[role], roleColour[role]
		pts.Radius = vg.Points(2)
		p.Add(l, pts)
		p.Legend.Add(name, l)
	}
	return nil
}

func barPlot(title, x, y string, cs []store.Count, c color.Color) (*plot.Plot, error) {
	p := newPlot(title, x, y)
	if len(cs) == 0 {
		p.Title.Text += " (none)"
		return p, nil
	}
	vals := make(plotter.Values, len(cs))
	names := make([]string, len(cs))
	for i, k := range cs {
		vals[i], names[i] = float64(k.N), k.Key
	}
	bars, err := plotter.NewBarChart(vals, vg.Points(18))
	if err != nil {
		return nil, err
	}
	bars.Color, bars.LineStyle.Width = c, 0
	p.Add(bars)
	p.NominalX(names...)
	p.Y.Max *= 1.15 // room above the highest bar
	return p, nil
}

// mixPlot is the strategy and order mix: artifacts proposed and valid per strategy and order.
func mixPlot(mix []store.MixRow) (*plot.Plot, error) {
	p := newPlot("strategy and order mix", "", "artifacts")
	if len(mix) == 0 {
		p.Title.Text += " (none)"
		return p, nil
	}
	proposed, valid := make(plotter.Values, len(mix)), make(plotter.Values, len(mix))
	names := make([]string, len(mix))
	for i, m := range mix {
		proposed[i], valid[i] = float64(m.N), float64(m.Valid)
		names[i] = fmt.Sprintf("%s/%d", dash(m.Strategy), m.Order)
	}
	w := vg.Points(12)
	a, err := plotter.NewBarChart(proposed, w)
	if err != nil {
		return nil, err
	}
	b, err := plotter.NewBarChart(valid, w)
	if err != nil {
		return nil, err
	}
	a.Color, b.Color = injectorColour, solverColour
	a.LineStyle.Width, b.LineStyle.Width = 0, 0
	a.Offset, b.Offset = -w/2, w/2
	p.Add(a, b)
	p.Legend.Add("proposed", a)
	p.Legend.Add("valid", b)
	p.NominalX(names...)
	p.Y.Max *= 1.25 // room for the legend above the highest bar
	p.X.Min, p.X.Max = p.X.Min-0.5, p.X.Max+0.5
	return p, nil
}

// thin blanks all but about n evenly spaced labels, so that many buckets stay readable.
func thin(labels []string, n int) []string {
	if len(labels) <= n {
		return labels
	}
	step := (len(labels) + n - 1) / n
	out := make([]string, len(labels))
	for i := range labels {
		if i%step == 0 {
			out[i] = labels[i]
		}
	}
	return out
}

func yieldText(s store.Stats) string {
	if s.Validated == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.0f%%", 100*float64(s.Valid)/float64(s.Validated))
}

// sortKeys sorts bucket keys: numerically when they are all numbers (policy versions), else as text (hours).
func sortKeys(keys []string) {
	nums := make(map[string]float64, len(keys))
	for _, k := range keys {
		v, err := strconv.ParseFloat(k, 64)
		if err != nil {
			slices.Sort(keys)
			return
		}
		nums[k] = v
	}
	slices.SortFunc(keys, func(a, b string) int { return cmp.Compare(nums[a], nums[b]) })
}
