package arena

import (
	"strings"
	"testing"

	"github.com/selfplay-swe/ssr/repos/plugin"
)

func TestDecodeParserJSON(t *testing.T) {
	for name, tc := range map[string]struct {
		out     string
		want    int
		wantErr string
	}{
		"ok":             {out: `{"a::t1": "passed", "a::t2": "failed"}` + "\n", want: 2},
		"empty object":   {out: `{}`, want: 0},
		"not json":       {out: "all good\n", wantErr: "printed no JSON object"},
		"a list":         {out: `["passed"]`, wantErr: "printed no JSON object"},
		"unknown status": {out: `{"t": "PASSED"}`, wantErr: `unknown status "PASSED"`},
		"status number":  {out: `{"t": 1}`, wantErr: "printed no JSON object"},
	} {
		t.Run(name, func(t *testing.T) {
			got, reason, err := decodeParserJSON("p.py", []byte(tc.out))
			if err != nil {
				t.Fatal(err)
			}
			if tc.wantErr != "" {
				if !strings.Contains(reason, tc.wantErr) || !strings.Contains(reason, "p.py") {
					t.Fatalf("reason = %q, want it to name p.py and contain %q", reason, tc.wantErr)
				}
				return
			}
			if reason != "" || len(got) != tc.want {
				t.Fatalf("got %v (%q), want %d results", got, reason, tc.want)
			}
		})
	}
}

// FuzzDecodeParserJSON: a script parser's output never panics the decoder, and whatever it accepts holds
// only the four statuses.
func FuzzDecodeParserJSON(f *testing.F) {
	f.Add([]byte(`{"a": "passed", "b": "error"}`))
	f.Add([]byte(`{"a": "weird"}`))
	f.Add([]byte("garbage"))
	f.Add([]byte(`{"a": null}`))
	f.Fuzz(func(t *testing.T, out []byte) {
		got, reason, err := decodeParserJSON("fuzz", out)
		if err != nil {
			t.Fatal(err)
		}
		if reason != "" {
			if got != nil {
				t.Fatalf("a rejected output also gave results %v", got)
			}
			return
		}
		for id, s := range got {
			switch s {
			case plugin.StatusPassed, plugin.StatusFailed, plugin.StatusSkipped, plugin.StatusError:
			default:
				t.Fatalf("accepted status %q for %q", s, id)
			}
		}
	})
}
