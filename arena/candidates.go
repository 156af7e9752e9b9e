package arena

import (
	"context"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"path"
	"strings"

	"github.com/selfplay-swe/ssr/agent"
	"github.com/selfplay-swe/ssr/repos/plugin"
)

// candidate is one action a structured agent may take, with how the arena carries it out on the file it
// names: change returns the file's new content, or why it cannot be changed so.
type candidate struct {
	agent.Candidate
	change func(ctx context.Context, src []byte) (out []byte, desc, refused string, err error)
}

// sources lists the files where candidates are built: the plugin's Sources (the files its test command
// exercises) when it has that rule, else the repository's source files in the languages its tests are
// written in (by file extension), so that plugins are only asked about files they can parse.
func (r *Repo) sources() []string {
	if r.Sources != nil {
		var out []string
		for _, f := range r.Sources {
			if !r.IsTestFile(f) {
				out = append(out, f)
			}
		}
		return out
	}
	exts := map[string]bool{}
	for _, f := range r.TestFiles {
		if e := path.Ext(f); e != "" {
			exts[e] = true
		}
	}
	var out []string
	for _, f := range r.SourceFiles() {
		if exts[path.Ext(f)] {
			out = append(out, f)
		}
	}
	return out
}

// siteCache remembers a file's mutation sites by content: the candidates of one episode are rebuilt every
// turn, and most files did not change since the last.
type siteCache map[string][]candidate

// siteCandidates asks the plugin for mutation sites in one file and turns each site × operator into a
// candidate of the given kind, keeping only the operators in ops (all when empty).
func (c siteCache) siteCandidates(ctx context.Context, lang plugin.Language, kind, file string, src []byte, ops []string) ([]candidate, error) {
	key := fmt.Sprintf("%s\x00%s\x00%x\x00%s", kind, file, sha256.Sum256(src), strings.Join(ops, ","))
	if out, ok := c[key]; ok {
		return out, nil
	}
	resp, err := lang.MutationSites(ctx, &plugin.MutationSitesRequest{Path: file, Source: src, Operators: ops})
	if err != nil {
		return nil, fmt.Errorf("mutation sites of %s: %w", file, err)
	}
	var out []candidate
	if resp.ParseError == "" { // a file this plugin cannot parse has no candidates
		allowed := map[string]bool{}
		for _, op := range ops {
			allowed[op] = true
		}
		for _, s := range resp.Sites {
			for _, op := range s.Operators {
				if len(ops) > 0 && !allowed[op] {
					continue
				}
				out = append(out, candidate{
					Candidate: agent.Candidate{Kind: kind, File: file, Line: s.Line, Column: s.Column, Node: s.Node, Operator: op, Function: s.Function,
						Code: agent.SiteCode(src, s.StartByte, s.EndByte), Description: fmt.Sprintf("%s %s:%d %s (%s)", op, file, s.Line, s.Node, s.Function)},
					change: applySite(lang, file, s, op),
				})
			}
		}
	}
	c[key] = out
	return out, nil
}

// applySite is the change of one site by one operator, through the plugin.
func applySite(lang plugin.Language, file string, site plugin.MutationSite, op string) func(context.Context, []byte) ([]byte, string, string, error) {
	return func(ctx context.Context, src []byte) ([]byte, string, string, error) {
		resp, err := lang.ApplyMutation(ctx, &plugin.ApplyMutationRequest{Path: file, Source: src, Site: site, Operator: op})
		if err != nil {
			return nil, "", "", fmt.Errorf("apply %s at %s:%d: %w", op, file, site.Line, err)
		}
		if resp.Refused != "" {
			return nil, "", resp.Refused, nil
		}
		return resp.Source, resp.Description, "", nil
	}
}

// Where the injector looks for sites each turn: files drawn at random until maxInjectFiles of them have
// candidates, visiting at most maxInjectVisits.
const (
	maxInjectFiles  = 8
	maxInjectVisits = 32
)

// injectorOps are the operators of an injector strategy. constant_minus_one is the solver's inverse of
// constant_off_by_one; as a bug it mostly makes a loop endless, which costs every later run its timeout and
// teaches little.
func injectorOps(strategy string) []string {
	if strategy == StrategyRemoval {
		return []string{plugin.OpRemoveBody}
	}
	var ops []string
	for _, op := range plugin.AllOperators {
		if op != plugin.OpRemoveBody && op != plugin.OpConstantMinusOne {
			ops = append(ops, op)
		}
	}
	return ops
}

// siteCandidatesIn builds the candidates of files drawn from files in the episode's current state, in the
// order rng draws them, until want files have some (all files when want is 0).
func siteCandidatesIn(ctx context.Context, repo *Repo, ws *workspace, cache siteCache, rng *rand.Rand, kind string, files, ops []string, want, visits int) ([]candidate, error) {
	order := make([]int, len(files))
	for i := range order {
		order[i] = i
	}
	if rng != nil {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	}
	var out []candidate
	found := 0
	for n, i := range order {
		if (want > 0 && found >= want) || (visits > 0 && n >= visits) {
			break
		}
		src, ok, err := ws.content(files[i])
		if err != nil {
			return nil, err
		}
		if !ok {
			continue // deleted in this episode: nothing to change there
		}
		cs, err := cache.siteCandidates(ctx, repo.Lang, kind, files[i], src, ops)
		if err != nil {
			return nil, err
		}
		if len(cs) > 0 {
			found++
			out = append(out, cs...)
		}
	}
	return out, nil
}
