package main

import (
	"bytes"
	"context"
	"encoding/xml"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStatsPlot draws the synthetic job's plots to PNG and SVG files and checks each is a well-formed image
// of a sensible size.
func TestStatsPlot(t *testing.T) {
	ctx := context.Background()
	st := makeExportJob(t)
	s, err := st.Stats(ctx, synthJob)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, format := range []string{"png", "svg"} {
		t.Run(format, func(t *testing.T) {
			path := filepath.Join(dir, "stats."+format)
			if err := writeStatsPlot(s, synthJob, format, path); err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if len(data) < 10_000 || len(data) > 5_000_000 {
				t.Errorf("%s is %d bytes: want between 10 kB and 5 MB", path, len(data))
			}
			switch format {
			case "png":
				cfg, err := png.DecodeConfig(bytes.NewReader(data))
				if err != nil {
					t.Fatal(err)
				}
				if cfg.Width < 800 || cfg.Height < 800 {
					t.Errorf("PNG is %dx%d, want at least 800x800", cfg.Width, cfg.Height)
				}
				if _, err := png.Decode(bytes.NewReader(data)); err != nil {
					t.Fatal(err)
				}
			case "svg":
				dec := xml.NewDecoder(bytes.NewReader(data))
				for {
					if _, err := dec.Token(); err != nil {
						if err.Error() != "EOF" {
							t.Fatalf("SVG does not parse as XML: %v", err)
						}
						break
					}
				}
				for _, want := range []string{"<svg", "rejections by step", "F2P tests per bug", "strategy and order mix", "per policy version"} {
					if !strings.Contains(string(data), want) {
						t.Errorf("SVG lacks %q", want)
					}
				}
			}
		})
	}
	if err := writeStatsPlot(s, synthJob, "gif", filepath.Join(dir, "x.gif")); err == nil || !strings.Contains(err.Error(), `"gif": want png or svg`) {
		t.Errorf("gif: err = %v", err)
	}
}
