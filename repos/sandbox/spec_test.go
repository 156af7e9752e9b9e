package sandbox

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestLimitsDefaults(t *testing.T) {
	d := DefaultLimits()
	if d.Memory != DefaultMemory || d.NanoCPUs != DefaultNanoCPUs || d.Pids != DefaultPids || d.TmpfsSize != DefaultTmpfsSize ||
		d.ExecTimeout != DefaultExecTimeout || d.MaxOutput != DefaultMaxOutput {
		t.Errorf("DefaultLimits() = %+v", d)
	}
	if d.Network || d.AllowNewPrivileges || len(d.CapAdd) != 0 {
		t.Errorf("defaults loosen the hardening: %+v", d)
	}
	custom := Limits{Memory: 64 << 20, ExecTimeout: time.Second}.WithDefaults()
	if custom.Memory != 64<<20 || custom.ExecTimeout != time.Second || custom.Pids != DefaultPids {
		t.Errorf("WithDefaults overwrote set fields or missed unset ones: %+v", custom)
	}
	s := Spec{Image: "x"}.WithDefaults()
	if s.Workdir != DefaultWorkdir || s.Job == "" || s.Role == "" || s.Limits.MaxOutput != DefaultMaxOutput {
		t.Errorf("Spec.WithDefaults() = %+v", s)
	}
}

func TestSpecValidate(t *testing.T) {
	cases := map[string]struct {
		spec    Spec
		wantErr string // a substring of the error; empty for a valid spec
	}{
		"minimal":          {spec: Spec{Image: "img"}},
		"all set":          {spec: Spec{Image: "img", Workdir: "/w", Env: []string{"A=1", "B="}, Limits: Limits{Memory: MinMemory, Pids: 8, CapAdd: []string{"CAP_CHOWN"}}}},
		"no image":         {spec: Spec{}, wantErr: "no image"},
		"relative workdir": {spec: Spec{Image: "img", Workdir: "repo"}, wantErr: "relative"},
		"env without =":    {spec: Spec{Image: "img", Env: []string{"A"}}, wantErr: "KEY=VALUE"},
		"env without key":  {spec: Spec{Image: "img", Env: []string{"=1"}}, wantErr: "KEY=VALUE"},
		"tiny memory":      {spec: Spec{Image: "img", Limits: Limits{Memory: 1 << 20}}, wantErr: "limits.memory"},
		"negative cpus":    {spec: Spec{Image: "img", Limits: Limits{NanoCPUs: -1}}, wantErr: "limits.nano_cpus"},
		"too few pids":     {spec: Spec{Image: "img", Limits: Limits{Pids: 2}}, wantErr: "limits.pids"},
		"negative timeout": {spec: Spec{Image: "img", Limits: Limits{ExecTimeout: -time.Second}}, wantErr: "limits.exec_timeout"},
		"negative output":  {spec: Spec{Image: "img", Limits: Limits{MaxOutput: -1}}, wantErr: "limits.max_output"},
		"negative tmpfs":   {spec: Spec{Image: "img", Limits: Limits{TmpfsSize: -1}}, wantErr: "limits.tmpfs_size"},
		"blank capability": {spec: Spec{Image: "img", Limits: Limits{CapAdd: []string{""}}}, wantErr: "limits.cap_add"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			err := c.spec.Validate()
			if c.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidSpec) || !strings.Contains(err.Error(), c.wantErr) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("Validate = %v, want one line wrapping ErrInvalidSpec with %q", err, c.wantErr)
			}
		})
	}
}

func TestExecRequestValidate(t *testing.T) {
	for name, r := range map[string]ExecRequest{
		"no command":       {},
		"empty argv0":      {Cmd: []string{""}},
		"negative timeout": {Cmd: []string{"true"}, Timeout: -1},
		"negative output":  {Cmd: []string{"true"}, MaxOutput: -1},
		"bad env":          {Cmd: []string{"true"}, Env: []string{"X"}},
	} {
		if err := r.Validate(); !errors.Is(err, ErrInvalidSpec) {
			t.Errorf("%s: Validate = %v, want ErrInvalidSpec", name, err)
		}
	}
	if err := (ExecRequest{Cmd: []string{"true"}}).Validate(); err != nil {
		t.Errorf("valid request: %v", err)
	}
}
