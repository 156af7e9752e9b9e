package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/client"

	"github.com/selfplay-swe/ssr/arena/store"
	"github.com/selfplay-swe/ssr/repos/docker"
)

// soakCheck is one consistency check of the soak: what it looks for, how many it found (0 is right).
type soakCheck struct {
	name  string
	found int
	about []string // the first few offenders
}

// soakReport is the soak's findings.
type soakReport struct {
	counts   map[string]int
	checks   []soakCheck
	problems []string
}

// checkSoak checks the soak's jobs in the store, the engine's containers and /proc's processes. The store is
// read with SQL, apart from the store's own API, so that a bug in that API cannot hide a loss.
func checkSoak(t *testing.T, ctx context.Context, cli *client.Client, st *store.Store, dbPath, bin string, log *soakLog) *soakReport {
	t.Helper()
	db, err := sql.Open("sqlite", (&url.URL{Scheme: "file", Path: dbPath}).String()+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rep := &soakReport{counts: map[string]int{}}
	add := func(name string, offenders []string) {
		c := soakCheck{name: name, found: len(offenders)}
		c.about = offenders[:min(len(offenders), 5)]
		rep.checks = append(rep.checks, c)
		if len(offenders) > 0 {
			rep.problems = append(rep.problems, fmt.Sprintf("%s: %d (%s)", name, len(offenders), strings.Join(c.about, "; ")))
		}
	}
	rows := func(query string, args ...any) []string {
		rs, err := db.QueryContext(ctx, query, args...)
		if err != nil {
			t.Fatalf("soak check %q: %v", query, err)
		}
		defer rs.Close()
		cols, _ := rs.Columns()
		var out []string
		for rs.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rs.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			parts := make([]string, len(vals))
			for i, v := range vals {
				parts[i] = fmt.Sprint(v)
			}
			out = append(out, strings.Join(parts, " "))
		}
		if err := rs.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	count := func(query string) int {
		var n int
		if err := db.QueryRowContext(ctx, query).Scan(&n); err != nil {
			t.Fatalf("soak count %q: %v", query, err)
		}
		return n
	}

	nAttempts := soakConfig(1, 0).Arena.NAttempts
	rep.counts["jobs"] = count(`SELECT COUNT(*) FROM jobs`)
	rep.counts["artifacts"] = count(`SELECT COUNT(*) FROM artifacts`)
	rep.counts["valid"] = count(`SELECT COUNT(*) FROM validations WHERE valid = 1`)
	rep.counts["rejected"] = count(`SELECT COUNT(*) FROM validations WHERE valid = 0`)
	rep.counts["bugs"] = count(`SELECT COUNT(*) FROM bugs`)
	rep.counts["order2"] = count(`SELECT COUNT(*) FROM bugs WHERE ord = 2`)
	rep.counts["attempts"] = count(`SELECT COUNT(*) FROM attempts`)
	rep.counts["solved"] = count(`SELECT COUNT(*) FROM attempts WHERE success = 1`)
	rep.counts["injector episodes"] = count(`SELECT COUNT(*) FROM episodes WHERE role = 'injector'`)
	rep.counts["solver episodes"] = count(`SELECT COUNT(*) FROM episodes WHERE role = 'solver'`)
	rep.counts["failures"] = count(`SELECT COUNT(*) FROM failures`)

	add("jobs not finished", rows(`SELECT id, status, reason FROM jobs WHERE status != 'finished'`))
	add("artifacts without a verdict", rows(`SELECT a.id FROM artifacts a LEFT JOIN validations v ON v.artifact_id = a.id WHERE v.artifact_id IS NULL`))
	add(fmt.Sprintf("bugs whose attempts are not indexes 0..%d once each", nAttempts-1), rows(`
		SELECT b.id, COUNT(a.id), COUNT(DISTINCT a.idx), MIN(a.idx), MAX(a.idx) FROM bugs b LEFT JOIN attempts a ON a.bug_id = b.id
		GROUP BY b.id HAVING COUNT(a.id) != ? OR COUNT(DISTINCT a.idx) != ? OR MIN(a.idx) != 0 OR MAX(a.idx) != ?`,
		nAttempts, nAttempts, nAttempts-1))
	add("duplicate (bug, attempt index) rows", rows(`SELECT bug_id, idx, COUNT(*) FROM attempts GROUP BY bug_id, idx HAVING COUNT(*) > 1`))
	add("bugs not done, or without injector reward or solve rate", rows(`
		SELECT id, status FROM bugs WHERE status != 'done' OR injector_reward IS NULL OR solve_rate IS NULL`))
	add("valid artifacts without their bug", rows(`
		SELECT v.artifact_id FROM validations v LEFT JOIN bugs b ON b.artifact_id = v.artifact_id WHERE v.valid = 1 AND b.id IS NULL`))
	add("attempts whose solver episode is lost", rows(`
		SELECT a.id FROM attempts a LEFT JOIN episodes e ON e.attempt_id = a.id AND e.role = 'solver' WHERE e.id IS NULL`))
	add("attempts with more than one solver episode", rows(`
		SELECT attempt_id, COUNT(*) FROM episodes WHERE role = 'solver' AND attempt_id IS NOT NULL GROUP BY attempt_id HAVING COUNT(*) > 1`))
	add("solver episodes of no attempt", rows(`SELECT id FROM episodes WHERE role = 'solver' AND attempt_id IS NULL`))
	add("order-1 artifacts whose injector episode is lost", rows(`
		SELECT a.id FROM artifacts a LEFT JOIN episodes e ON e.artifact_id = a.id AND e.role = 'injector' WHERE a.ord = 1 AND e.id IS NULL`))
	add("artifacts with more than one injector episode", rows(`
		SELECT artifact_id, COUNT(*) FROM episodes WHERE role = 'injector' AND artifact_id IS NOT NULL GROUP BY artifact_id HAVING COUNT(*) > 1`))
	add("injector episodes not rewarded", rows(`SELECT id FROM episodes WHERE role = 'injector' AND artifact_id IS NOT NULL AND reward IS NULL`))
	add("leases still held", rows(`SELECT job, owner FROM leases`))

	// Containers: of the soak's jobs, or owned by one of its ssr processes (a build or baseline sandbox).
	all, err := docker.List(ctx, cli, "")
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, c := range all {
		o, err := docker.ParseOwner(c.Owner)
		if slices.Contains(log.jobs, c.Job) || (err == nil && slices.Contains(log.pids, o.PID)) {
			left = append(left, fmt.Sprintf("%.12s %s %s %s", c.ID, c.Job, c.Role, c.State))
		}
	}
	add("containers left (label ssr.job of a soak job, or ssr.owner a soak process)", left)
	add("plugin processes left (ssr-lang-* of this build)", pluginsRunning(t, bin))
	add("processes left that name a soak process as their plugin host", pluginHostsLeft(log.pids))
	var late []string
	for i, k := range log.kills {
		if k.plugins > 0 {
			late = append(late, fmt.Sprintf("kill %d: %d", i+1, k.plugins))
		}
	}
	add("kills after which plugin processes still ran 5 s later", late)
	add("stalls (a harness step or an ssr run that overran its limit; see the soak directory's stall-*.txt and ssr.log)", log.stalls)
	if log.unfinished != "" {
		add("the last job did not finish in time", []string{log.unfinished})
	}
	return rep
}

// pluginHostsLeft lists the running processes whose environment names one of pids as the host of the
// plugin that started them (SSR_PLUGIN_HOST, see repos/plugin/reap.go).
func pluginHostsLeft(pids []int) []string {
	environs, _ := filepath.Glob("/proc/[0-9]*/environ")
	var left []string
	for _, f := range environs {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		stat, _ := os.ReadFile(filepath.Join(filepath.Dir(f), "stat"))
		if i := bytes.LastIndexByte(stat, ')'); i > 0 && i+2 < len(stat) && stat[i+2] == 'Z' {
			continue
		}
		for _, kv := range bytes.Split(b, []byte{0}) {
			v, ok := bytes.CutPrefix(kv, []byte("SSR_PLUGIN_HOST="))
			if !ok {
				continue
			}
			host, _, _ := strings.Cut(string(v), ":")
			if pid, err := strconv.Atoi(host); err == nil && slices.Contains(pids, pid) {
				cmdline, _ := os.ReadFile(filepath.Join(filepath.Dir(f), "cmdline"))
				left = append(left, filepath.Base(filepath.Dir(f))+" "+string(bytes.ReplaceAll(cmdline, []byte{0}, []byte(" "))))
			}
			break
		}
	}
	return left
}

// markdown is the report.
func (r *soakReport) markdown(log *soakLog) string {
	var b strings.Builder
	s := log.settings
	verdict := "PASS"
	if len(r.problems) > 0 {
		verdict = fmt.Sprintf("FAIL (%d problems)", len(r.problems))
	}
	fmt.Fprintf(&b, "# ssr soak: %s\n\n", verdict)
	fmt.Fprintf(&b, "- kill phase **%s** (SOAK_DURATION=%s), then the job in progress ran to its end: %s in all\n",
		log.killPhase.Round(time.Second), s.duration, log.finished.Sub(log.started).Round(time.Second))
	fmt.Fprintf(&b, "- started %s, finished %s\n", log.started.UTC().Format(time.RFC3339), log.finished.UTC().Format(time.RFC3339))
	fmt.Fprintf(&b, "- SIGKILL every %s on average (SOAK_KILL_EVERY; each wait drawn from [%s, %s], seed %d), each followed by `ssr run --resume JOB`\n",
		s.killEvery, s.killEvery/2, s.killEvery*3/2, s.seed)
	fmt.Fprintf(&b, "- jobs: the demo job (`ssr run` with no arguments: both built-in examples, native agent, %d attempts a bug) with limits bugs %d, proposed %d, no wall time; a finished job is followed by a new one\n",
		soakConfig(1, 0).Arena.NAttempts, s.bugs, 4*s.bugs)
	fmt.Fprintf(&b, "- database, job configs and every run's output: `%s`\n\n", s.dir)

	b.WriteString("## Counts\n\n| jobs | kills | resumes | artifacts | valid | rejected | bugs (order 2) | attempts (solved) | injector episodes | solver episodes | failures recorded |\n")
	b.WriteString("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n")
	c := r.counts
	fmt.Fprintf(&b, "| %d | %d | %d | %d | %d | %d | %d (%d) | %d (%d) | %d | %d | %d |\n\n", c["jobs"], len(log.kills), log.resumes,
		c["artifacts"], c["valid"], c["rejected"], c["bugs"], c["order2"], c["attempts"], c["solved"], c["injector episodes"], c["solver episodes"], c["failures"])

	b.WriteString("## Checks (each should find 0)\n\n| check | found | first few |\n| --- | --- | --- |\n")
	for _, ch := range r.checks {
		fmt.Fprintf(&b, "| %s | %d | %s |\n", ch.name, ch.found, mdCell(strings.Join(ch.about, "; ")))
	}

	b.WriteString("\n## Kills\n\n| # | at | job | bugs / attempts recorded | ssr's last line before the kill |\n| --- | --- | --- | --- | --- |\n")
	for i, k := range log.kills {
		fmt.Fprintf(&b, "| %d | %s | %s | %d / %d | %s |\n", i+1, k.at.Round(time.Second), k.job, k.counts.Bugs, k.counts.Attempts, mdCell(k.lastLine))
	}
	b.WriteString("\n## Runs that ended without a kill\n\n")
	for _, e := range log.exits {
		fmt.Fprintf(&b, "- %s\n", e)
	}
	if len(log.reaped) > 0 {
		b.WriteString("\n## What resumed runs cleaned up at start\n\n")
		for _, l := range log.reaped {
			fmt.Fprintf(&b, "- %s\n", l)
		}
	}
	return b.String()
}

// mdCell makes s safe in a markdown table cell.
func mdCell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	if len(s) > 140 {
		s = s[:137] + "..."
	}
	return "`" + strings.ReplaceAll(s, "`", "'") + "`"
}
