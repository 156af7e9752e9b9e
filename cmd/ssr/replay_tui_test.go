package main

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/selfplay-swe/ssr/arena/store"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden screens under testdata/replay")

// key turns a key name into the message bubbletea sends for it.
func key(name string) tea.Msg {
	switch name {
	case "down":
		return tea.KeyMsg{Type: tea.KeyDown}
	case "up":
		return tea.KeyMsg{Type: tea.KeyUp}
	case "right":
		return tea.KeyMsg{Type: tea.KeyRight}
	case "enter":
		return tea.KeyMsg{Type: tea.KeyEnter}
	case "esc":
		return tea.KeyMsg{Type: tea.KeyEsc}
	case "wheeldown":
		return tea.MouseMsg{Button: tea.MouseButtonWheelDown, Action: tea.MouseActionPress}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(name)}
}

// TestReplayTUI drives the viewer with recorded key presses and compares its screens with golden files.
func TestReplayTUI(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "job.db")
	if err := makeSynthJob(ctx, db, 6); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, db, store.MustExist())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tests := map[string][]string{
		"list":             {},
		"list_role_filter": {"r", "wheeldown"},
		"episode_turn":     {"down", "enter", "right"},
		"episode_log":      {"down", "enter", "l"},
		"bug_view":         {"enter"},
		"search":           {"/", "r", "e", "p", "o", "r", "t", "enter"},
		"help":             {"?"},
		"back_to_list":     {"down", "enter", "esc", "down"},
	}
	for name, keys := range tests {
		t.Run(name, func(t *testing.T) {
			var m tea.Model = newReplayModel(ctx, st, synthJob, store.Query{}, false)
			m, _ = m.Update(tea.WindowSizeMsg{Width: 110, Height: 16})
			for _, k := range keys {
				m, _ = m.Update(key(k))
			}
			got := strings.TrimRight(m.View(), "\n") + "\n"
			file := filepath.Join("testdata", "replay", name+".golden")
			if *updateGolden {
				if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (run with -update to write it)", err)
			}
			if got != string(want) {
				t.Errorf("screen after %v:\n%s\nwant:\n%s", keys, got, want)
			}
		})
	}
}
