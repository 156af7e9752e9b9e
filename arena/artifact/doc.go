// Package artifact is the bug's formal specification that an injector hands in: the five parts of
// DESIGN.md (test script, oracle test files, parser, bug diff, weakening diff) plus metadata, stored as a
// directory or as one JSON record, and the static check that is validation step 1.
//
// Start with Artifact (artifact.go), then Load and Save (io.go), then Check (check.go).
package artifact
