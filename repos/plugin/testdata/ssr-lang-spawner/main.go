// Command ssr-lang-spawner is a test plugin that starts long-lived processes of its own, as a plugin that
// runs tools might. Its first Describe starts three: one in the plugin's process group, one that leaves it
// for a session of its own, and one with an empty environment; the version lists the plugin's pid and
// theirs.
package main

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/selfplay-swe/ssr/repos/plugin"
	"github.com/selfplay-swe/ssr/repos/plugin/testdata/fakelang"
)

type spawner struct{ fakelang.Lang }

var (
	once    sync.Once
	version string
)

func (s spawner) Describe(ctx context.Context, req *plugin.DescribeRequest) (*plugin.DescribeResponse, error) {
	once.Do(func() {
		pids := []string{strconv.Itoa(os.Getpid())}
		inGroup := exec.Command("sleep", "3600")
		ownSession := exec.Command("sleep", "3601")
		ownSession.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		noEnv := exec.Command("/bin/sleep", "3602")
		noEnv.Env = []string{}
		for _, c := range []*exec.Cmd{inGroup, ownSession, noEnv} {
			if err := c.Start(); err != nil {
				pids = append(pids, "error:"+err.Error())
				continue
			}
			pids = append(pids, strconv.Itoa(c.Process.Pid))
		}
		version = strings.Join(pids, " ")
	})
	d, err := s.Lang.Describe(ctx, req)
	if err != nil {
		return nil, err
	}
	d.Version = version
	return d, nil
}

func main() { plugin.Serve(spawner{fakelang.Lang{Name: "spawner"}}) }
