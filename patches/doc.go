// Package patches handles git-style unified diffs: parse, apply to a directory tree atomically, reverse,
// split by path, stats, render, and make a diff from two trees or two contents.
package patches
