package patches

// This file holds the line diff: Myers' O(ND) algorithm in its linear-space form (the "middle
// snake" divide and conquer from "An O(ND) Difference Algorithm and Its Variations", 1986).

// lineDiff compares two sequences of line ids and reports, for each element, whether it is
// deleted from a (del[i]) or inserted into b (ins[j]); the rest is the longest common subsequence.
func lineDiff(a, b []int) (del, ins []bool) {
	d := &differ{a: a, b: b, del: make([]bool, len(a)), ins: make([]bool, len(b))}
	n := len(a) + len(b)
	d.vf = make([]int, n+5)
	d.vb = make([]int, n+5)
	d.compare(0, len(a), 0, len(b))
	return d.del, d.ins
}

type differ struct {
	a, b     []int
	del, ins []bool
	vf, vb   []int // furthest x reached on each diagonal, forward and backward
}

func (d *differ) compare(aLo, aHi, bLo, bHi int) {
	for aLo < aHi && bLo < bHi && d.a[aLo] == d.b[bLo] {
		aLo, bLo = aLo+1, bLo+1
	}
	for aLo < aHi && bLo < bHi && d.a[aHi-1] == d.b[bHi-1] {
		aHi, bHi = aHi-1, bHi-1
	}
	switch {
	case aLo == aHi:
		for j := bLo; j < bHi; j++ {
			d.ins[j] = true
		}
		return
	case bLo == bHi:
		for i := aLo; i < aHi; i++ {
			d.del[i] = true
		}
		return
	}
	x, y, u, v := d.middleSnake(aLo, aHi, bLo, bHi)
	if (x == aLo && y == bLo && u == aLo && v == bLo) || (x == aHi && y == bHi) {
		// Cannot happen for an optimal middle snake; guard against looping all the same.
		for i := aLo; i < aHi; i++ {
			d.del[i] = true
		}
		for j := bLo; j < bHi; j++ {
			d.ins[j] = true
		}
		return
	}
	d.compare(aLo, x, bLo, y)
	d.compare(u, aHi, v, bHi)
}

// middleSnake finds the middle snake of an optimal path from (aLo, bLo) to (aHi, bHi): it runs
// from (x, y) to (u, v) in absolute coordinates.
func (d *differ) middleSnake(aLo, aHi, bLo, bHi int) (x, y, u, v int) {
	n, m := aHi-aLo, bHi-bLo
	delta := n - m
	odd := delta&1 != 0
	maxD := (n + m + 1) / 2
	off := maxD + 1
	vf, vb := d.vf[:2*maxD+3], d.vb[:2*maxD+3]
	vf[off+1], vb[off+1] = 0, 0
	a, b := d.a, d.b
	for D := 0; D <= maxD; D++ {
		for k := -D; k <= D; k += 2 {
			var x int
			if k == -D || (k != D && vf[off+k-1] < vf[off+k+1]) {
				x = vf[off+k+1]
			} else {
				x = vf[off+k-1] + 1
			}
			y := x - k
			x0, y0 := x, y
			for x < n && y < m && a[aLo+x] == b[bLo+y] {
				x, y = x+1, y+1
			}
			vf[off+k] = x
			if odd && k >= delta-(D-1) && k <= delta+(D-1) && x+vb[off+delta-k] >= n {
				return aLo + x0, bLo + y0, aLo + x, bLo + y
			}
		}
		for k := -D; k <= D; k += 2 {
			var x int
			if k == -D || (k != D && vb[off+k-1] < vb[off+k+1]) {
				x = vb[off+k+1]
			} else {
				x = vb[off+k-1] + 1
			}
			y := x - k
			x0, y0 := x, y
			for x < n && y < m && a[aHi-1-x] == b[bHi-1-y] {
				x, y = x+1, y+1
			}
			vb[off+k] = x
			if !odd && delta-k >= -D && delta-k <= D && x+vf[off+delta-k] >= n {
				return aHi - x, bHi - y, aHi - x0, bHi - y0
			}
		}
	}
	// Unreachable: a path of length at most n+m always exists.
	return aHi, bHi, aHi, bHi
}
