package arena

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/selfplay-swe/ssr/arena/artifact"
	"github.com/selfplay-swe/ssr/arena/store"
	"github.com/selfplay-swe/ssr/repos"
)

// TestJobUsesTheManifestsBaseline: a job prepares its repositories with `ssr repos test`'s baseline, so a
// manifest test_command that runs a subset of the tests is the script of the injector's suite and of every
// artifact, a test matching exclude_tests is never F2P or P2P, and the store records the baseline.
func TestJobUsesTheManifestsBaseline(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a job")
	}
	f := withExamples(t)
	const command = "python3 -m pytest -v -rfEsxXp -p no:cacheprovider tests/test_money.py tests/test_periods.py tests/test_textfmt.py"
	entry := repos.Repo{Name: "pyledger", Source: repos.Source{Example: "pyledger"}, TestCommand: command,
		ExcludeTests: []string{"tests/test_periods.py::*"}}
	ctx := context.Background()
	cfg := e2eConfig()
	cfg.Strategies = map[string]float64{StrategyMutation: 1}
	cfg.Limits = Limits{Bugs: 2, Proposed: 4, WallTime: 10 * time.Minute}
	b := repos.NewBuilder(f.cli, f.provider, repos.HostLanguages{Host: fixHost}, repos.WithCacheDir(filepath.Join(fixTempDir, "cache")),
		repos.WithFlakeRuns(cfg.Arena.FlakeRuns), repos.WithTestTimeout(cfg.Arena.TestTimeout))
	prepared, err := Prepare(ctx, b, []repos.Repo{entry})
	if err != nil {
		t.Fatal(err)
	}
	repo := prepared[0]
	if repo.Baseline == nil || !strings.Contains(repo.Baseline.Script, command) {
		t.Fatalf("baseline script %q, want the manifest's test_command", repo.Baseline.Script)
	}
	st := openStore(t, filepath.Join(t.TempDir(), "jobs.db"), f.job, cfg)
	if err := RecordBaselines(ctx, st, f.job, prepared); err != nil {
		t.Fatal(err)
	}
	r := newRunner(f.arena(cfg.Arena), st, map[string]*Repo{"pyledger": repo}, cfg)
	if err := r.Run(ctx); err != nil {
		t.Fatal(err)
	}

	stored, err := st.Repos(ctx, f.job)
	if err != nil || len(stored) != 1 {
		t.Fatalf("stored repos %+v %v", stored, err)
	}
	var rec baselineRecord
	if err := json.Unmarshal(stored[0].Baseline, &rec); err != nil || !strings.Contains(rec.Script, command) || len(rec.Logs) != cfg.Arena.FlakeRuns || len(rec.Excluded) == 0 {
		t.Fatalf("stored baseline %s (%v): want the script, %d run logs and the excluded tests", stored[0].Baseline, err, cfg.Arena.FlakeRuns)
	}
	for _, id := range rec.Logs {
		if l, err := st.Log(ctx, id); err != nil || l.Kind != store.LogBaseline {
			t.Fatalf("baseline log %s: %+v %v", id, l.Kind, err)
		}
	}

	eps, err := st.ListEpisodes(ctx, f.job, store.EpisodeFilter{Role: store.RoleInjector})
	if err != nil {
		t.Fatal(err)
	}
	arts, bugs := 0, 0
	for _, ep := range eps {
		if ep.ArtifactID == "" {
			continue
		}
		sa, err := st.GetArtifact(ctx, ep.ArtifactID)
		if err != nil {
			t.Fatal(err)
		}
		art, err := artifact.UnmarshalJSON("artifact", sa.Parts)
		if err != nil {
			t.Fatal(err)
		}
		if art.TestScript != "" {
			arts++
			if !strings.Contains(art.TestScript, command) {
				t.Errorf("artifact %s runs %q, want the manifest's test_command", sa.ID, art.TestScript)
			}
		}
		v, err := st.GetValidation(ctx, sa.ID)
		if err != nil || !v.Valid {
			continue
		}
		bugs++
		for _, id := range append(v.F2P, v.P2P...) {
			if strings.HasPrefix(id, "tests/test_periods.py::") {
				t.Errorf("bug of %s lists excluded test %s", sa.ID, id)
			}
		}
	}
	if arts == 0 || bugs == 0 {
		t.Fatalf("%d artifacts, %d valid: too little to tell", arts, bugs)
	}
}
