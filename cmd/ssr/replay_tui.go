package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"golang.org/x/term"

	"github.com/selfplay-swe/ssr/arena/store"
)

// isTerminal reports whether out is a terminal (the viewer opens only there).
func isTerminal(out io.Writer) bool {
	f, ok := out.(*os.File)
	return ok && term.IsTerminal(int(f.Fd())) && term.IsTerminal(int(os.Stdin.Fd()))
}

// runTUI opens the interactive viewer on a job (on item id when given).
func runTUI(ctx context.Context, st *store.Store, job, id string, q store.Query, follow bool) error {
	m := newReplayModel(ctx, st, job, q, follow)
	if id != "" {
		m.open(id)
	}
	_, err := tea.NewProgram(m, tea.WithAltScreen(), tea.WithMouseCellMotion(), tea.WithContext(ctx)).Run()
	return err
}

// viewer modes.
const (
	modeList = iota
	modeBug
	modeEpisode
	modeLog
	modeHelp
)

var (
	titleStyle    = lipgloss.NewStyle().Bold(true).Reverse(true)
	selectedStyle = lipgloss.NewStyle().Reverse(true)
	statusStyle   = lipgloss.NewStyle().Faint(true)
)

var outcomes = []string{"", store.OutcomeValid, store.OutcomeRejected, store.OutcomePending, store.OutcomeSolved, store.OutcomeFailed}

// replayModel is the viewer's state. Everything it shows is loaded from the store on demand: a page of the
// list at a time, one bug or episode at a time.
type replayModel struct {
	ctx    context.Context
	st     *store.Store
	job    string
	q      store.Query
	follow bool
	color  bool

	width, height int
	mode, back    int
	rows          []store.Row
	total         int
	cursor        int
	searching     bool
	search        string
	err           string

	vp      viewport.Model
	episode *episodeView
	turn    int // -1: every turn
	logs    []string
	logAt   int
}

type tickMsg time.Time

func newReplayModel(ctx context.Context, st *store.Store, job string, q store.Query, follow bool) *replayModel {
	m := &replayModel{ctx: ctx, st: st, job: job, q: q, follow: follow, width: 100, height: 30, turn: 0}
	m.vp = viewport.New(m.width, m.height-2)
	m.reload()
	return m
}

func (m *replayModel) Init() tea.Cmd {
	if m.follow {
		return tick()
	}
	return nil
}

func tick() tea.Cmd { return tea.Tick(2*time.Second, func(t time.Time) tea.Msg { return tickMsg(t) }) }

// pageSize is how many rows fit between the title and the status line.
func (m *replayModel) pageSize() int { return max(1, m.height-3) }

func (m *replayModel) reload() {
	m.q.Limit = m.pageSize()
	rows, total, err := m.st.Rows(m.ctx, m.job, m.q)
	if err != nil {
		m.err = err.Error()
		return
	}
	m.err, m.rows, m.total = "", rows, total
	m.cursor = min(m.cursor, max(0, len(rows)-1))
}

// open shows an artifact, bug or episode.
func (m *replayModel) open(id string) {
	if bv, err := loadBug(m.ctx, m.st, id); err == nil {
		m.mode, m.episode = modeBug, nil
		m.logs = nil
		for _, l := range bv.Logs {
			m.logs = append(m.logs, l.ID)
		}
		for _, t := range bv.Attempts {
			m.logs = append(m.logs, t.LogIDs...)
		}
		m.setContent(renderBug(bv, m.color))
		return
	}
	ev, err := loadEpisode(m.ctx, m.st, id)
	if err != nil {
		m.err = fmt.Sprintf("%s: no artifact, bug or episode", id)
		return
	}
	m.mode, m.episode, m.turn = modeEpisode, ev, 0
	m.logs = nil
	if ref := cmpOrStr(ev.ArtifactID, ev.BugID); ref != "" {
		if bv, err := loadBug(m.ctx, m.st, ref); err == nil {
			for _, l := range bv.Logs {
				m.logs = append(m.logs, l.ID)
			}
			for _, t := range bv.Attempts {
				if t.ID == ev.AttemptID {
					m.logs = append(t.LogIDs, m.logs...)
				}
			}
		}
	}
	m.showTurn()
}

func cmpOrStr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (m *replayModel) showTurn() {
	m.setContent(renderEpisode(m.episode, m.turn, m.color))
}

func (m *replayModel) showLog() {
	if len(m.logs) == 0 {
		m.err = "no raw test log recorded here"
		return
	}
	l, err := m.st.Log(m.ctx, m.logs[m.logAt])
	if err != nil {
		m.err = err.Error()
		return
	}
	m.back, m.mode = m.mode, modeLog
	m.setContent(fmt.Sprintf("log %s (%d of %d): %s run of %s, exit %d, %s, %s\n\n%s", l.ID, m.logAt+1, len(m.logs), l.Kind, l.Ref,
		l.ExitCode, dash(l.End), l.Duration, l.Output))
}

func (m *replayModel) setContent(s string) {
	m.vp.SetContent(s)
	m.vp.GotoTop()
}

func (m *replayModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.vp.Width, m.vp.Height = msg.Width, max(1, msg.Height-2)
		m.reload()
		return m, nil
	case tickMsg:
		if m.mode == modeList {
			m.reload()
		}
		return m, tick()
	case tea.MouseMsg:
		if m.mode == modeList {
			switch msg.Button {
			case tea.MouseButtonWheelDown:
				m.move(1)
			case tea.MouseButtonWheelUp:
				m.move(-1)
			}
			return m, nil
		}
		var cmd tea.Cmd
		m.vp, cmd = m.vp.Update(msg)
		return m, cmd
	case tea.KeyMsg:
		return m.key(msg)
	}
	return m, nil
}

func (m *replayModel) move(d int) {
	m.cursor += d
	switch {
	case m.cursor < 0 && m.q.Offset > 0:
		m.q.Offset = max(0, m.q.Offset-m.pageSize())
		m.reload()
		m.cursor = len(m.rows) - 1
	case m.cursor < 0:
		m.cursor = 0
	case m.cursor >= len(m.rows) && m.q.Offset+len(m.rows) < m.total:
		m.q.Offset += len(m.rows)
		m.cursor = 0
		m.reload()
	case m.cursor >= len(m.rows):
		m.cursor = max(0, len(m.rows)-1)
	}
}

func (m *replayModel) key(k tea.KeyMsg) (tea.Model, tea.Cmd) {
	s := k.String()
	if m.searching {
		switch s {
		case "enter":
			m.searching, m.q.Text, m.q.Offset = false, m.search, 0
			m.reload()
		case "esc":
			m.searching = false
		case "backspace":
			if r := []rune(m.search); len(r) > 0 {
				m.search = string(r[:len(r)-1])
			}
		default:
			if k.Type == tea.KeyRunes || k.Type == tea.KeySpace {
				m.search += string(k.Runes)
			}
		}
		return m, nil
	}
	m.err = ""
	switch s {
	case "ctrl+c", "q":
		return m, tea.Quit
	case "?":
		if m.mode != modeHelp {
			m.back, m.mode = m.mode, modeHelp
			m.setContent(replayHelp)
		}
		return m, nil
	}
	if m.mode == modeList {
		return m.listKey(s)
	}
	switch s {
	case "esc", "backspace", "h":
		switch m.mode {
		case modeLog, modeHelp:
			m.mode = m.back
			if m.mode == modeEpisode {
				m.showTurn()
			} else if m.mode == modeBug || m.mode == modeList {
				if m.mode == modeBug && len(m.rows) > 0 {
					m.open(m.selectedRef())
				}
			}
		default:
			m.mode = modeList
		}
		return m, nil
	case "l":
		if m.mode == modeLog {
			m.logAt = (m.logAt + 1) % len(m.logs)
			m.mode = m.back
		}
		m.showLog()
		return m, nil
	case "right", "n":
		if m.mode == modeEpisode && m.turn >= 0 && m.turn < len(m.episode.Steps)-1 {
			m.turn++
			m.showTurn()
			return m, nil
		}
	case "left", "p":
		if m.mode == modeEpisode && m.turn > 0 {
			m.turn--
			m.showTurn()
			return m, nil
		}
	case "a":
		if m.mode == modeEpisode {
			if m.turn < 0 {
				m.turn = 0
			} else {
				m.turn = -1
			}
			m.showTurn()
			return m, nil
		}
	case "b":
		if m.mode == modeEpisode {
			if ref := cmpOrStr(m.episode.ArtifactID, m.episode.BugID); ref != "" {
				m.open(ref)
			}
			return m, nil
		}
	}
	var cmd tea.Cmd
	m.vp, cmd = m.vp.Update(k)
	return m, cmd
}

// selectedRef is what enter opens on the selected row: an injector's artifact, else the episode.
func (m *replayModel) selectedRef() string {
	r := m.rows[m.cursor]
	if r.Role == store.RoleInjector && r.Artifact != "" {
		return r.Artifact
	}
	return r.Episode
}

func (m *replayModel) listKey(s string) (tea.Model, tea.Cmd) {
	switch s {
	case "down", "j":
		m.move(1)
	case "up", "k":
		m.move(-1)
	case "pgdown", " ", "f":
		m.move(len(m.rows) - m.cursor)
	case "pgup", "B":
		m.move(-m.cursor - 1)
	case "enter":
		if len(m.rows) > 0 {
			m.open(m.selectedRef())
		}
	case "e":
		if len(m.rows) > 0 {
			m.open(m.rows[m.cursor].Episode)
		}
	case "b":
		if len(m.rows) > 0 && m.rows[m.cursor].Artifact != "" {
			m.open(m.rows[m.cursor].Artifact)
		}
	case "r":
		m.q.Role = map[store.Role]store.Role{"": store.RoleInjector, store.RoleInjector: store.RoleSolver, store.RoleSolver: ""}[m.q.Role]
		m.q.Offset, m.cursor = 0, 0
		m.reload()
	case "o":
		for i, o := range outcomes {
			if o == m.q.Outcome {
				m.q.Outcome = outcomes[(i+1)%len(outcomes)]
				break
			}
		}
		m.q.Offset, m.cursor = 0, 0
		m.reload()
	case "s":
		keys := store.SortKeys()
		for i, k := range keys {
			if k == cmpOrStr(m.q.Sort, "started") {
				m.q.Sort = keys[(i+1)%len(keys)]
				break
			}
		}
		m.q.Offset, m.cursor = 0, 0
		m.reload()
	case "d":
		m.q.Desc = !m.q.Desc
		m.q.Offset, m.cursor = 0, 0
		m.reload()
	case "/":
		m.searching, m.search = true, m.q.Text
	case "g":
		m.reload()
	}
	return m, nil
}

func (m *replayModel) View() string {
	var b strings.Builder
	switch m.mode {
	case modeList:
		title := fmt.Sprintf(" ssr replay %s — %d episodes", m.job, m.total)
		b.WriteString(titleStyle.Render(pad(title, m.width)) + "\n")
		b.WriteString(pad(fmt.Sprintf("  %-22s %-8s %-10s %-9s %-2s %-8s %6s %5s %3s %4s", "EPISODE", "ROLE", "REPO", "STRATEGY", "O", "OUTCOME", "REWARD", "SOLVE", "PV", "TURN"), m.width) + "\n")
		for i, r := range m.rows {
			mark := "  "
			if i == m.cursor {
				mark = "▸ "
			}
			line := fmt.Sprintf(mark+"%-22s %-8s %-10s %-9s %-2s %-8s %6s %5s %3d %4d", clip(r.Episode, 22), r.Role, clip(r.Repo, 10), clip(dash(r.Strategy), 9),
				orderText(r.Order), r.Outcome, rewardText(r.Reward), rateText(r.SolveRate), r.PolicyVersion, r.Turns)
			line = pad(line, m.width)
			if i == m.cursor {
				line = selectedStyle.Render(line)
			}
			b.WriteString(line + "\n")
		}
		for i := len(m.rows); i < m.pageSize()-1; i++ {
			b.WriteString("\n")
		}
	default:
		b.WriteString(titleStyle.Render(pad(" "+m.detailTitle(), m.width)) + "\n")
		b.WriteString(m.vp.View() + "\n")
	}
	b.WriteString(statusStyle.Render(m.status()))
	return b.String()
}

func (m *replayModel) detailTitle() string {
	switch m.mode {
	case modeBug:
		return "bug view"
	case modeEpisode:
		if m.turn < 0 {
			return fmt.Sprintf("episode %s — every turn", m.episode.ID)
		}
		return fmt.Sprintf("episode %s — turn %d of %d", m.episode.ID, m.turn+1, len(m.episode.Steps))
	case modeLog:
		return "raw test log"
	}
	return "help"
}

func (m *replayModel) status() string {
	if m.err != "" {
		return "error: " + m.err
	}
	if m.searching {
		return "search: " + m.search + "▏ (enter to apply, esc to cancel)"
	}
	switch m.mode {
	case modeList:
		f := []string{"sort " + cmpOrStr(m.q.Sort, "started")}
		if m.q.Desc {
			f[0] += "↓"
		}
		for _, x := range [][2]string{{"role", string(m.q.Role)}, {"outcome", m.q.Outcome}, {"search", m.q.Text}} {
			if x[1] != "" {
				f = append(f, x[0]+" "+x[1])
			}
		}
		shown := ""
		if len(m.rows) > 0 {
			shown = fmt.Sprintf("%d–%d of %d", m.q.Offset+1, m.q.Offset+len(m.rows), m.total)
		}
		follow := ""
		if m.follow {
			follow = " · following"
		}
		return fmt.Sprintf("%s · %s%s · enter open · r role · o outcome · s sort · / search · ? help · q quit", shown, strings.Join(f, ", "), follow)
	case modeEpisode:
		return fmt.Sprintf("%3.0f%% · ←/→ turn · a all turns · l raw log · b bug · esc back · ? help", m.vp.ScrollPercent()*100)
	default:
		return fmt.Sprintf("%3.0f%% · ↑/↓ scroll · l raw log (next) · esc back · ? help", m.vp.ScrollPercent()*100)
	}
}

func pad(s string, w int) string {
	if n := lipgloss.Width(s); n < w {
		return s + strings.Repeat(" ", w-n)
	}
	return s
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

const replayHelp = `ssr replay — keys

list
  ↑/↓ j/k        move (pages turn at the edges); mouse wheel too
  pgdn/pgup      next / previous page
  enter          open: an injector's artifact (bug view), a solver's episode
  e / b          open the row's episode / its artifact
  r / o          cycle the role / outcome filter
  s / d          cycle the sort key / flip the direction
  /              search ids, rejection reasons and turns
  g              reload

bug and episode views
  ↑/↓ pgup/pgdn  scroll; mouse wheel too
  ←/→ p/n        episode: previous / next turn
  a              episode: every turn / one turn
  b              episode: its artifact's bug view
  l              the raw test log (again: the next one)
  esc            back

  ?  this help    q  quit
`
