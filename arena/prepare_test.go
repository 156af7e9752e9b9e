package arena

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReposOfErrors(t *testing.T) {
	dir := t.TempDir()
	manifest := filepath.Join(dir, "ssr.yaml")
	if err := os.WriteFile(manifest, []byte("repos:\n  - name: ledger\n    example: pyledger\n  - name: kit\n    example: gokit\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		cfg  JobConfig
		want string // "" for success
	}{
		"examples":                  {JobConfig{Examples: []string{"pyledger"}}, ""},
		"filter":                    {JobConfig{Manifest: manifest, Repos: []string{"kit"}}, ""},
		"unknown example":           {JobConfig{Examples: []string{"pyledgr"}}, `examples: "pyledgr" is not a built-in example (there are gokit, pyledger)`},
		"filter that matches none":  {JobConfig{Manifest: manifest, Repos: []string{"kat"}}, `repos: "kat" is not an entry of manifest ` + manifest + ` (it has ledger, kit)`},
		"filter with one unmatched": {JobConfig{Manifest: manifest, Repos: []string{"kit", "led"}}, `repos: "led" is not an entry`},
		"missing manifest":          {JobConfig{Manifest: filepath.Join(dir, "nope.yaml")}, "nope.yaml"},
	} {
		t.Run(name, func(t *testing.T) {
			list, err := ReposOf(&tc.cfg)
			switch {
			case tc.want == "" && (err != nil || len(list) == 0):
				t.Fatalf("ReposOf = %v, %v; want repositories", list, err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("ReposOf error = %v; want it to contain %q", err, tc.want)
			}
		})
	}
}
