// Package patches handles git-style unified diffs: parse, apply to a directory tree atomically, reverse,
// split by path, stats, render, and make a diff from two trees or two contents.
//
// ssr moves code changes around as diffs: an injector's bug and test-weakening patches, a solver's
// prediction, the spec given to the solver (a reversed patch). This package is the one place that
// reads, writes and applies them. It is pure Go, imports nothing else from ssr, and uses
// github.com/bluekeyes/go-gitdiff to parse patches and to apply hunks to file contents.
//
// # Where to start
//
//   - Parse / ParseBytes turn diff text into a *Patch: an ordered list of *FileDiff, each with its
//     Op (modify, add, delete, rename, copy), old and new path and mode, and hunks of lines.
//   - ApplyDir applies a Patch to a directory, all files or none; ApplyMap does the same to a tree
//     held in memory; ApplyFile applies one FileDiff to one content.
//   - Reverse, Split and Files transform and summarise patches; Patch.String and Render write the
//     text back in git's format.
//   - Diff, DiffMaps and DiffTrees make patches (Myers' O(ND) line diff, 3 lines of context).
//
// Errors carry positions: *ParseError (patch line, file) and *ApplyError (file, hunk, line). They
// wrap the sentinels ErrMalformed, ErrBinary, ErrConflict, ErrMissing, ErrExists, ErrUnsafePath and
// ErrUnsupported, for errors.Is.
//
// # Differences from `git apply`
//
// ApplyDir behaves like `git apply` with its default options outside a repository (no --index),
// and the tests compare the two on random trees. Where it differs:
//
//   - Binary patches ("GIT binary patch", "Binary files ... differ") are refused at parse time
//     with ErrBinary. Diff, DiffMaps and DiffTrees refuse binary content (a NUL byte in the first
//     8000 bytes, git's test) instead of writing a binary patch.
//   - Symbolic links (mode 120000) and submodules (160000) are refused with ErrUnsupported; a
//     symbolic link found in the tree is refused too, where git would patch the link itself. A
//     path whose parent directory in the tree is a symbolic link is refused with a *SymlinkError
//     (ErrUnsafePath) naming that parent, where git would write through it, possibly outside the
//     tree; and every write goes through an os.Root on the tree, so nothing ever lands outside it.
//   - Hunks apply at the line their header names; when the lines are not there, they are looked
//     for above and below, nearest first, as git does (with git's rules that a hunk starting at
//     line 1 must match at the top and a hunk with no trailing context at the end). Like git by
//     default there is no fuzz: context is never reduced. WithExactPositions turns the search off.
//     A zero-context hunk (diff -U0) is applied where it says, where git would demand
//     --unidiff-zero.
//   - Whitespace is compared byte for byte and never fixed or warned about (git's
//     apply.whitespace=warn only warns by default). Carriage returns are ordinary bytes: a CRLF
//     file needs a CRLF patch, and the result keeps whatever line endings the patch and file have.
//     A diff whose header lines end in CRLF (converted whole) has the "\r" stripped from its
//     names, and when it does not apply the error says that its line endings are CRLF.
//   - File diffs apply in order, each seeing the results of the earlier ones; a path that the
//     patch deletes or renames away may be created by another file diff, as in git. Every check
//     (contents, missing files, files in the way) is made before anything is written.
//   - Writing: each file is written to a temporary file and renamed into place, after all
//     deletions. Deleting the last file of a directory removes the now-empty directories above
//     it (up to the tree root), as git does. Permissions: modified files keep theirs; a mode change
//     sets 0755 or 0644 and new files get 0644 or 0755, without consulting the umask.
//   - Paths must stay inside the tree: absolute paths, "..", "." and empty components and .git
//     components are refused (ErrUnsafePath) at parse time.
//   - A diff with no "diff --git" line at all is read as a traditional unified diff, and one
//     leading directory is stripped from its names, as `git apply -p1` does. Text that holds no
//     file diff is an error; empty input is an empty Patch.
//   - Reverse of a copy is the deletion of the copy without hunks, which (like git) only applies
//     to an empty file; git diff only reports copies with -C.
//
// Made diffs need not equal git's byte for byte (git's indent heuristic may place a change
// differently; renames are detected only for identical content), but `git apply` accepts them
// and they produce the same tree; hunk headers omit function names.
package patches
