package arena

import (
	"context"
	"fmt"
	"slices"

	"github.com/selfplay-swe/ssr/arena/store"
	"github.com/selfplay-swe/ssr/repos/plugin"
)

// The native injector's curriculum. A structured solver repairs only what one of its edits undoes, and a
// policy learns only from rewards that vary: bugs it never solves teach it nothing. So the mutation
// strategy starts with what the solver can solve, one edit away, and widens one step at a time, each step
// on the solve rate of the bugs the step before it planned:
//
//	stage    sites  operators                                        entered when the stage before's bugs
//	single   1      the invertible ones (plugin.InvertibleOperators) (from the start)
//	double   2      the invertible ones                              are solved ≥ 0.30
//	multi    2–3    the invertible ones                              are solved ≥ 0.30
//	all      1–3    also remove_statement and default_return         are solved ≥ 0.50
//
// A stage's sites are the ones it adds: the one-site bugs come from the first stage's share of the plans
// (below), so the rate of a wider stage's bugs is the rate of the wider bugs alone.
//
// Rates are read over the job's last curriculumWindow attempts, each under the stage that planned its bug
// (store.StageSolves), and a stage's rate counts once it has curriculumMinAttempts of them. A stage is
// entered on the rate of the stage before it, and once its own bugs have enough attempts, their rate decides
// instead: it holds from curriculumHold up and falls back a step below. The job's recent solve rate, mostly
// that of the first stage's bugs, cannot keep the job in a stage whose own bugs the solver never solves
// (docs/policy.md: a job that widened to 1–3 sites at a recent rate of 0.33 made 8 never-solved bugs of its 9
// with several mutations). After a fall, the stage's own attempts leave the window as the stage below's
// come in, and the stage below's rate decides again: the curriculum retries. The stage is derived from the
// store each time, never kept: a resumed job is where it was.
//
// A wider stage does not replace the first one: firstStageShare of the plans keep the first stage at every
// stage. A solver trained only on the bugs of the stage its job reached forgets the one-edit bugs that
// every harder bug is built from (docs/policy.md, "Across jobs": a job that left the first stage within
// minutes trained a policy that scored 0.32 on its own bugs and 0.08 on first-stage ones).
const (
	curriculumWindow      = 100
	curriculumMinAttempts = 20
	curriculumHold        = 0.15
	firstStageShare       = 1.0 / 3
)

// Stage is one step of the curriculum: how many sites a mutation may change and which operators it draws.
type Stage struct {
	Name      string
	MinSites  int      // a mutation changes MinSites..MaxSites sites (the job's draw)
	MaxSites  int      // the most sites it changes
	Operators []string // the mutation operators the injector is offered
	Enter     float64  // the recent solve rate of the stage before's bugs from which the stage applies
}

// invertibleInjectorOps are the operators of the first stages: those one solver edit undoes, without
// constant_minus_one (see injectorOps).
var invertibleInjectorOps = slices.DeleteFunc(slices.Clone(plugin.InvertibleOperators), func(op string) bool {
	return op == plugin.OpConstantMinusOne
})

// curriculum lists the stages in order, each entered when the stage before's bugs are solved at its Enter
// rate (stageFor).
var curriculum = []Stage{
	{Name: "single", MinSites: 1, MaxSites: 1, Operators: invertibleInjectorOps, Enter: 0},
	{Name: "double", MinSites: 2, MaxSites: 2, Operators: invertibleInjectorOps, Enter: 0.30},
	{Name: "multi", MinSites: 2, MaxSites: maxInjectSites, Operators: invertibleInjectorOps, Enter: 0.30},
	{Name: "all", MinSites: 1, MaxSites: maxInjectSites, Operators: injectorOps(StrategyMutation), Enter: 0.50},
}

// stageFor is the stage for the recent solves of each stage's bugs (by stage name), none past widest (a
// stage name; the last stage when it names none). From the widest down, the first stage whose own bugs
// have curriculumMinAttempts decides: it applies while their rate holds curriculumHold, and the stage
// before it applies when it does not (a fall, one step). A stage without as many applies when the stage
// before's bugs have as many and reach its Enter. None of them: the first stage.
func stageFor(solves map[string]store.Solves, widest string) Stage {
	last := stageIndex(widest)
	if last < 0 {
		last = len(curriculum) - 1
	}
	for i := last; i > 0; i-- {
		own, before := solves[curriculum[i].Name], solves[curriculum[i-1].Name]
		if own.Attempts >= curriculumMinAttempts {
			if own.Rate() >= curriculumHold {
				return curriculum[i]
			}
			return curriculum[i-1]
		}
		if before.Attempts >= curriculumMinAttempts && before.Rate() >= curriculum[i].Enter {
			return curriculum[i]
		}
	}
	return curriculum[0]
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
	StageSolves(ctx context.Context, job string, n int) (map[string]store.Solves, error)
}

// applyCurriculum fills a mutation plan's sites and operators from the recent solve rates of the job's
// stages. It draws the number of sites once whatever the stage, so the job's later draws do not depend on
// it; whether the plan keeps the first stage (firstStageShare) is read from the plan's own seed, not drawn
// from the job.
func (r *Runner) applyCurriculum(ctx context.Context, plan *InjectPlan) error {
	return planStage(ctx, r.Store, r.job(), r.Arena.cfg.Curriculum, r.gen, plan)
}

// planStage fills plan from the stage the recent solve rates of job's stages reach, none past widest
// (Config.Curriculum).
func planStage(ctx context.Context, rates solveRates, job, widest string, gen *jobGen, plan *InjectPlan) error {
	solves, err := rates.StageSolves(ctx, job, curriculumWindow)
	if err != nil {
		return fmt.Errorf("curriculum: %w", err)
	}
	st := stageFor(solves, widest)
	if keepsFirstStage(plan.Seed) {
		st = curriculum[0]
	}
	draw := gen.IntN(maxInjectSites)
	plan.Sites = st.MinSites + draw%(st.MaxSites-st.MinSites+1)
	plan.Operators, plan.Stage = st.Operators, st.Name
	return nil
}

// keepsFirstStage reports whether the plan with seed keeps the curriculum's first stage whatever the
// job's stage: true for firstStageShare of the seeds. The seed is one of the job's uniform draws; its top
// 53 bits are a uniform number in [0, 1).
func keepsFirstStage(seed uint64) bool {
	return float64(seed>>11)/(1<<53) < firstStageShare
}
