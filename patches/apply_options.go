package patches

// ApplyOption changes how a patch is applied.
type ApplyOption func(*applyConfig)

type applyConfig struct {
	exact  bool
	dryRun bool
}

func collectApplyOptions(opts []ApplyOption) applyConfig {
	var c applyConfig
	for _, o := range opts {
		o(&c)
	}
	return c
}

// WithExactPositions makes every hunk apply exactly at the line its header names. By default a
// hunk whose lines are not found there is looked for above and below, nearest first, as
// `git apply` does (the hunk's context is never reduced: there is no fuzz).
func WithExactPositions() ApplyOption { return func(c *applyConfig) { c.exact = true } }

// WithDryRun makes ApplyDir check that the whole patch applies without writing anything,
// like `git apply --check`.
func WithDryRun() ApplyOption { return func(c *applyConfig) { c.dryRun = true } }
