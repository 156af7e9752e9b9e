package arena

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/selfplay-swe/ssr/arena/artifact"
	"github.com/selfplay-swe/ssr/arena/store"
)

// Hand-made artifacts on the pyledger example, one per rejection reason, and valid ones.
const (
	moneyPy     = "ledger/money.py"
	textfmtPy   = "ledger/textfmt.py"
	testMoney   = "tests/test_money.py"
	testTextfmt = "tests/test_textfmt.py"
	addID       = "tests/test_money.py::test_add_and_subtract"
	allocID     = "tests/test_money.py::test_allocate_even_split_with_remainder" // allocate adds Money too
	addLine     = "return Money(self.units + other.units, self.currency)"
	addBug      = "return Money(self.units - other.units, self.currency)"
	truncLine   = "return text[: width - len(ellipsis)] + ellipsis"
	truncBug    = "return text[: width - len(ellipsis) + 1] + ellipsis"
)

// rAParser reads pytest's -rA summary lines: a script parser run inside the sandbox.
const rAParser = `import json, re, sys
out = {}
for line in sys.stdin:
    m = re.match(r"^(PASSED|FAILED|ERROR|SKIPPED) (.+?)(?: - .*)?$", line.rstrip("\n"))
    if m:
        out[m.group(2)] = m.group(1).lower()
print(json.dumps(out))
`

func moneyBug(t *testing.T, repo *Repo) *artifact.Artifact {
	script, parser := testScript(t, repo, testMoney)
	return &artifact.Artifact{
		TestScript: script,
		TestFiles:  []string{testMoney},
		Parser:     parser,
		BugDiff:    edit(t, repo, moneyPy, addLine, addBug),
		WeakenDiff: weaken(t, repo, testMoney, addID, allocID),
	}
}

func TestValidate(t *testing.T) {
	f := withExamples(t)
	repo := f.repos["pyledger"]
	ar := f.arena(conf(func(c *Config) { c.Containers = 2 }))
	ctx := context.Background()

	twoFileBug := func() *artifact.Artifact {
		return &artifact.Artifact{
			TestScript: "cd /repo && python3 -m pytest -rA -p no:cacheprovider " + testMoney + " " + testTextfmt + "; true\n",
			TestFiles:  []string{testMoney, testTextfmt},
			Parser:     artifact.Parser{ScriptName: "test_parser.py", Script: rAParser},
			BugDiff:    edits(t, repo, map[string][2]string{moneyPy: {addLine, addBug}, textfmtPy: {truncLine, truncBug}}),
			WeakenDiff: weaken(t, repo, testMoney, addID, allocID) + weaken(t, repo, testTextfmt, "tests/test_textfmt.py::test_truncate"),
		}
	}
	tests := map[string]struct {
		art       func() *artifact.Artifact
		cfg       *Config
		wantStep  string // rejection step; "" for valid
		wantInMsg string
		wantF2P   []string
	}{
		"valid single file, builtin parser": {art: func() *artifact.Artifact { return moneyBug(t, repo) }, wantF2P: []string{addID}},
		"valid two files, script parser":    {art: twoFileBug, wantF2P: []string{addID, "tests/test_textfmt.py::test_truncate[a longer sentence-10-a longe...]"}},
		"static: bug diff touches a test file": {
			art: func() *artifact.Artifact {
				a := moneyBug(t, repo)
				a.BugDiff = edit(t, repo, testMoney, "assert (a + b).units == 1100", "assert (a + b).units == 1101")
				return a
			},
			wantStep: "static", wantInMsg: "touches test file tests/test_money.py",
		},
		"parser: script prints no JSON": {
			art: func() *artifact.Artifact {
				a := twoFileBug()
				a.Parser.Script = "import sys\nsys.stdin.read()\nprint('all good')\n"
				return a
			},
			wantStep: "parser", wantInMsg: "printed no JSON object",
		},
		"parser: script crashes": {
			art: func() *artifact.Artifact {
				a := twoFileBug()
				a.Parser.Script = "raise SystemExit('parser exploded')\n"
				return a
			},
			wantStep: "parser", wantInMsg: "parser exploded",
		},
		"original: too few passing tests": {
			art: func() *artifact.Artifact { return moneyBug(t, repo) },
			cfg: ptr(conf(func(c *Config) { c.MinPassingTests = 10_000 })), wantStep: "original", wantInMsg: "need at least 10000",
		},
		"bug: nothing fails": {
			art: func() *artifact.Artifact {
				a := moneyBug(t, repo)
				a.BugDiff = edit(t, repo, moneyPy, addLine, addLine+"  # same")
				return a
			},
			wantStep: "bug", wantInMsg: "makes 0 originally passing test(s) report a failure in every one of 2 bug run(s)",
		},
		"weaken: hides no failing test": {
			art: func() *artifact.Artifact {
				a := moneyBug(t, repo)
				a.WeakenDiff = weaken(t, repo, testMoney, "tests/test_money.py::test_currency_mismatch")
				return a
			},
			wantStep: "weaken", wantInMsg: "2 of 2 F2P test(s) are not hidden",
		},
		"weaken: leaves an F2P test failing (hide: all)": {
			art: func() *artifact.Artifact {
				a := moneyBug(t, repo)
				a.WeakenDiff = weaken(t, repo, testMoney, addID)
				return a
			},
			wantStep: "weaken", wantInMsg: "1 of 2 F2P test(s) are not hidden (" + allocID + " (failed))",
		},
		"weaken: leaves an F2P test failing, accepted under hide: some": {
			art: func() *artifact.Artifact {
				a := moneyBug(t, repo)
				a.WeakenDiff = weaken(t, repo, testMoney, addID)
				return a
			},
			cfg:     ptr(conf(func(c *Config) { c.Containers = 2; c.Hide = HideSome })),
			wantF2P: []string{addID, allocID},
		},
		"inverse: padded with an unrelated change": {
			art: func() *artifact.Artifact {
				a := moneyBug(t, repo)
				a.BugDiff = edits(t, repo, map[string][2]string{
					moneyPy:   {addLine, addBug},
					textfmtPy: {`"""Shorten text to at most width characters, ending with the ellipsis when cut."""`, `"""Shorten text to width characters or fewer."""`},
				})
				return a
			},
			wantStep: "inverse", wantInMsg: "restoring ledger/textfmt.py alone makes no F2P test pass",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			a := ar
			if tc.cfg != nil {
				a = f.arena(*tc.cfg)
			}
			art := tc.art()
			rep, err := a.Validate(ctx, repo, art)
			if err != nil {
				t.Fatal(err)
			}
			sameRegrade(t, a, repo, art, rep)
			if tc.wantStep == "" {
				if !rep.Valid {
					t.Fatalf("rejected at %s: %v", rep.Step, rep.Rejection)
				}
				for _, id := range tc.wantF2P {
					if !slices.Contains(rep.F2P, id) {
						t.Errorf("F2P %v lacks %s", rep.F2P, id)
					}
				}
				if len(rep.P2P) < 5 {
					t.Errorf("P2P has %d tests, want the rest of the oracle files' tests", len(rep.P2P))
				}
				for _, run := range rep.Runs {
					if len(run.Output) == 0 {
						t.Errorf("%s run kept no raw output", run.Kind)
					}
				}
				return
			}
			if rep.Valid {
				t.Fatalf("valid (F2P %v), want a rejection at step %s", rep.F2P, tc.wantStep)
			}
			if rep.Rejection.Step != tc.wantStep || !strings.Contains(rep.Rejection.Error(), tc.wantInMsg) {
				t.Fatalf("rejection at %s: %q; want step %s containing %q", rep.Rejection.Step, rep.Rejection.Error(), tc.wantStep, tc.wantInMsg)
			}
		})
	}
}

// logsOf records runs as a job does (store.RawLog), in order.
func logsOf(runs []*TestRun) []store.RawLog {
	var out []store.RawLog
	for i, r := range runs {
		res, _ := json.Marshal(r.Results)
		out = append(out, store.RawLog{ID: fmt.Sprint("log-", i), Kind: store.LogKind(r.Kind), Output: r.Output, ExitCode: r.ExitCode,
			Duration: r.Duration, Results: res, End: r.End, TimedOut: r.TimedOut, Timeout: r.Timeout})
	}
	return out
}

// sameRegrade checks that the verdict recomputed from the report's raw logs, without containers, is the same.
func sameRegrade(t *testing.T, a *Arena, repo *Repo, art *artifact.Artifact, rep *Report) {
	t.Helper()
	if len(rep.Runs) == 0 {
		return // rejected by the static check: nothing ran
	}
	rg, err := a.Regrade(context.Background(), repo, art, logsOf(rep.Runs))
	if err != nil {
		t.Fatalf("regrade: %v", err)
	}
	if rg.Valid != rep.Valid || rg.Step != rep.Step || !slices.Equal(rg.F2P, rep.F2P) || !slices.Equal(rg.P2P, rep.P2P) {
		t.Errorf("regraded from raw logs: valid %v at %s, %d F2P, %d P2P; validation said valid %v at %s, %d F2P, %d P2P",
			rg.Valid, rg.Step, len(rg.F2P), len(rg.P2P), rep.Valid, rep.Step, len(rep.F2P), len(rep.P2P))
	}
}
