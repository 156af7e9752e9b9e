package proc

import (
	"bufio"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	cases := map[string]struct {
		stat    string
		want    Stat
		wantErr bool
	}{
		"plain":          {stat: "42 (sleep) S 1 40 42 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 777 1000 100", want: Stat{'S', 40, 777}},
		"spaces in comm": {stat: "42 (tmux: server) S 1 42 42 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 888 1000 100", want: Stat{'S', 42, 888}},
		"paren in comm":  {stat: "42 (a) b) S 1 7 42 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 999 1000 100", want: Stat{'S', 7, 999}},
		"zombie":         {stat: "42 (ssr) Z 1 42 42 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 778 0 0", want: Stat{'Z', 42, 778}},
		"dead":           {stat: "42 (a) Z) X 1 42 42 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 779 0 0", want: Stat{'X', 42, 779}},
		"short":          {stat: "42 (x) S 1", wantErr: true},
		"no paren":       {stat: "garbage", wantErr: true},
		"bad group":      {stat: "42 (sleep) S 1 x 42 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 777 1000 100", wantErr: true},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := Parse(c.stat)
			if (err != nil) != c.wantErr || got != c.want {
				t.Fatalf("Parse = %+v, %v; want %+v (error %v)", got, err, c.want, c.wantErr)
			}
		})
	}
}

// A child's stat, environment and end as /proc shows them: running with its own start time, then a zombie
// (exited, not yet waited for), which is not running.
func TestChild(t *testing.T) {
	cmd := exec.Command("sh", "-c", "echo ready; read x")
	cmd.Env = append(os.Environ(), "SSR_PROC_TEST=one", "SSR_PROC_TEST=two")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	pid := cmd.Process.Pid
	// Until the child has exec'd, /proc shows the forked copy of this process (its environment included).
	if line, err := bufio.NewReader(stdout).ReadString('\n'); err != nil || line != "ready\n" {
		t.Fatalf("child's first line %q, %v; want ready", line, err)
	}
	st, err := Read(pid)
	if err != nil || st.Exited() || st.Start == 0 || st.PGID != syscall.Getpgrp() {
		t.Fatalf("Read(child) = %+v, %v; want a running process in this process's group %d", st, err, syscall.Getpgrp())
	}
	if !Running(pid, st.Start) || Running(pid, st.Start+1) {
		t.Errorf("Running(child) with its start time = %v, with another = %v; want true, false", Running(pid, st.Start), Running(pid, st.Start+1))
	}
	// os/exec keeps the last of duplicate keys.
	if v, ok := Env(pid, "SSR_PROC_TEST"); !ok || v != "two" {
		t.Errorf("Env(child, SSR_PROC_TEST) = %q, %v; want two", v, ok)
	}
	if _, ok := Env(pid, "SSR_PROC_ABSENT"); ok {
		t.Errorf("Env found a variable the child lacks")
	}
	pids, err := PIDs()
	found := false
	for _, p := range pids {
		found = found || p == pid
	}
	if err != nil || !found {
		t.Errorf("PIDs() lacks the child %d: %v", pid, err)
	}
	stdin.Close()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if st, err = Read(pid); err != nil || st.Exited() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("child still running 10s after its stdin closed")
		}
	}
	if err != nil {
		t.Fatalf("the exited child is gone although nobody waited for it: %v", err)
	}
	if Running(pid, st.Start) {
		t.Errorf("a zombie (state %c) counts as running", st.State)
	}
}
