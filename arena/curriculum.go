package arena

import (
	"context"
	"fmt"
	"slices"

	"github.com/selfplay-swe/ssr/repos/plugin"
)

// The native injector's curriculum. A structured solver repairs only what one of its edits undoes, and a
// policy learns only from rewards that vary: bugs it never solves teach it nothing. So the mutation
// strategy starts with what the solver can solve, one edit away, and widens as the job's recent solve rate
// rises:
//
//	stage    sites  operators                                        entered at a recent solve rate of
//	single   1      the invertible ones (plugin.InvertibleOperators) from the start
//	multi    1–3    the invertible ones                              ≥ 0.30
//	all      1–3    also remove_statement and default_return         ≥ 0.50
//
// The rate is over the job's last curriculumWindow attempts, and counts once there are curriculumMinAttempts
// of them. The stage is derived from the store each time, never kept: a resumed job is where it was, and a
// rate that falls back below a threshold (the wider stage is harder) falls back a stage.
//
// A wider stage does not replace the first one: firstStageShare of the plans keep the first stage at every
// stage. A solver trained only on the bugs of the stage its job reached forgets the one-edit bugs that
// every harder bug is built from (docs/policy.md, "Across jobs": a job that left the first stage within
// minutes trained a policy that scored 0.32 on its own bugs and 0.08 on first-stage ones).
const (
	curriculumWindow      = 50
	curriculumMinAttempts = 20
	firstStageShare       = 1.0 / 3
)

// Stage is one step of the curriculum: how many sites a mutation may change and which operators it draws.
type Stage struct {
	Name      string
	MaxSites  int      // a mutation changes 1..MaxSites sites (the job's draw)
	Operators []string // the mutation operators the injector is offered
	Enter     float64  // the recent solve rate from which the stage applies
}

// invertibleInjectorOps are the operators of the first stages: those one solver edit undoes, without
// constant_minus_one (see injectorOps).
var invertibleInjectorOps = slices.DeleteFunc(slices.Clone(plugin.InvertibleOperators), func(op string) bool {
	return op == plugin.OpConstantMinusOne
})

// curriculum lists the stages in order; each applies from its Enter rate up.
var curriculum = []Stage{
	{Name: "single", MaxSites: 1, Operators: invertibleInjectorOps, Enter: 0},
	{Name: "multi", MaxSites: maxInjectSites, Operators: invertibleInjectorOps, Enter: 0.30},
	{Name: "all", MaxSites: maxInjectSites, Operators: injectorOps(StrategyMutation), Enter: 0.50},
}

// stageFor is the stage for solved of the last attempts attempts: the first stage until there are
// curriculumMinAttempts, then the last stage whose Enter the rate reaches, but none past widest (a stage
// name; the last stage when it names none).
func stageFor(attempts, solved int, widest string) Stage {
	last := stageIndex(widest)
	if last < 0 {
		last = len(curriculum) - 1
	}
	st := curriculum[0]
	if attempts < curriculumMinAttempts {
		return st
	}
	rate := float64(solved) / float64(attempts)
	for _, s := range curriculum[1 : last+1] {
		if rate >= s.Enter {
			st = s
		}
	}
	return st
}

// stageIndex is the index of the stage named name in curriculum, or -1.
func stageIndex(name string) int {
	return slices.IndexFunc(curriculum, func(s Stage) bool { return s.Name == name })
}

// StageNames are the curriculum stages' names in order.
func StageNames() []string {
	var out []string
	for _, s := range curriculum {
		out = append(out, s.Name)
	}
	return out
}

// solveRates is what the curriculum reads from the store.
type solveRates interface {
	RecentSolves(ctx context.Context, job string, n int) (attempts, solved int, err error)
}

// applyCurriculum fills a mutation plan's sites and operators from the job's recent solve rate. It draws
// the number of sites once whatever the stage, so the job's later draws do not depend on it; whether the
// plan keeps the first stage (firstStageShare) is read from the plan's own seed, not drawn from the job.
func (r *Runner) applyCurriculum(ctx context.Context, plan *InjectPlan) error {
	return planStage(ctx, r.Store, r.job(), r.Arena.cfg.Curriculum, r.gen, plan)
}

// planStage fills plan from the stage of job's recent solve rate, none past widest (Config.Curriculum).
func planStage(ctx context.Context, rates solveRates, job, widest string, gen *jobGen, plan *InjectPlan) error {
	n, solved, err := rates.RecentSolves(ctx, job, curriculumWindow)
	if err != nil {
		return fmt.Errorf("curriculum: %w", err)
	}
	st := stageFor(n, solved, widest)
	if keepsFirstStage(plan.Seed) {
		st = curriculum[0]
	}
	draw := gen.IntN(maxInjectSites)
	plan.Sites = 1 + draw%st.MaxSites
	plan.Operators, plan.Stage = st.Operators, st.Name
	return nil
}

// keepsFirstStage reports whether the plan with seed keeps the curriculum's first stage whatever the
// job's stage: true for firstStageShare of the seeds. The seed is one of the job's uniform draws; its top
// 53 bits are a uniform number in [0, 1).
func keepsFirstStage(seed uint64) bool {
	return float64(seed>>11)/(1<<53) < firstStageShare
}
