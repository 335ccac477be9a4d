package eval

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"sort"

	"github.com/presage-dev/presage/internal/predict"
)

// GBTParams are the hyper-parameters of the gradient-boosted trees.
type GBTParams struct {
	Trees        int     // boosting rounds
	Depth        int     // maximum depth of a tree
	LearningRate float64 // shrinkage
	Lambda       float64 // L2 regularization of leaf values
	MinHess      float64 // minimum hessian sum in a leaf
	Bins         int     // maximum bins per column (quantiles), ≤ 255
	MinCount     int     // a hashed feature becomes a column when this many training examples carry it
	Subsample    float64 // share of examples drawn per tree (without replacement); 0 or 1 = all
	ColSample    float64 // share of columns considered per tree; 0 or 1 = all
	Seed         uint64
}

// DefaultGBTParams are the parameters measured on the UCI data (docs/prediction.md).
func DefaultGBTParams() GBTParams {
	return GBTParams{Trees: 150, Depth: 4, LearningRate: 0.05, Lambda: 1, MinHess: 1, Bins: 32, MinCount: 10,
		Subsample: 0.8, ColSample: 0.8, Seed: 1}
}

func (p GBTParams) validate() error {
	switch {
	case p.Trees < 1 || p.Trees > 100000:
		return errors.New("gbt trees must be within 1–100000")
	case p.Depth < 1 || p.Depth > 12:
		return errors.New("gbt depth must be within 1–12")
	case !(p.LearningRate > 0) || p.LearningRate > 1:
		return errors.New("gbt learning rate must be within (0, 1]")
	case !(p.Lambda >= 0) || !(p.MinHess >= 0) || math.IsInf(p.Lambda+p.MinHess, 0):
		return errors.New("gbt lambda and min hessian must be finite and non-negative")
	case p.Bins < 2 || p.Bins > 255:
		return errors.New("gbt bins must be within 2–255")
	case !(p.Subsample >= 0 && p.Subsample <= 1) || !(p.ColSample >= 0 && p.ColSample <= 1):
		return errors.New("gbt subsample and colsample must be within [0, 1]")
	}
	return nil
}

// gbtNode is a split (x[col] <= thr goes left) or, when col < 0, a leaf.
type gbtNode struct {
	col         int32
	thr         float32
	left, right int32
	value       float32
}

// GBT is a gradient-boosted tree ensemble for logistic loss over the hashed
// features of a session (the same vectors FTRL learns from): every hashed
// index seen in at least MinCount training examples is a column, whose value
// is the feature's value, or 0 when the feature is absent. Prediction maps a
// sparse vector to the columns through a small open-addressing table. Not
// safe for concurrent use (Predict uses a scratch row).
type GBT struct {
	p     GBTParams
	base  float64
	keys  []uint32 // open-addressing table: hashed index → column
	slots []int32  // column+1, 0 = empty
	ncol  int
	nodes []gbtNode
	roots []int32
	row   []float32 // scratch dense row
	dirty []int32   // columns set in row
}

// NumTrees returns the number of trees.
func (m *GBT) NumTrees() int { return len(m.roots) }

// NumColumns returns the number of hashed features the model uses.
func (m *GBT) NumColumns() int { return m.ncol }

// MemoryBytes is the size of the model.
func (m *GBT) MemoryBytes() int {
	return len(m.keys)*4 + len(m.slots)*4 + len(m.nodes)*20 + len(m.roots)*4 + len(m.row)*4 + cap(m.dirty)*4
}

func (m *GBT) column(idx uint32) int32 {
	mask := uint32(len(m.keys) - 1)
	for i := idx * 0x9e3779b1 >> 7 & mask; ; i = (i + 1) & mask {
		s := m.slots[i]
		if s == 0 {
			return -1
		}
		if m.keys[i] == idx {
			return s - 1
		}
	}
}

func (m *GBT) insert(idx uint32, col int32) {
	mask := uint32(len(m.keys) - 1)
	for i := idx * 0x9e3779b1 >> 7 & mask; ; i = (i + 1) & mask {
		if m.slots[i] == 0 {
			m.keys[i], m.slots[i] = idx, col+1
			return
		}
	}
}

// Logit returns the model's log-odds for x.
func (m *GBT) Logit(x []predict.Feature) float64 {
	m.dirty = m.dirty[:0]
	for _, f := range x {
		if c := m.column(f.Index); c >= 0 {
			if m.row[c] == 0 {
				m.dirty = append(m.dirty, c)
			}
			m.row[c] += f.Value
		}
	}
	s := m.base
	for _, r := range m.roots {
		n := &m.nodes[r]
		for n.col >= 0 {
			if m.row[n.col] <= n.thr {
				n = &m.nodes[n.left]
			} else {
				n = &m.nodes[n.right]
			}
		}
		s += float64(n.value)
	}
	for _, c := range m.dirty {
		m.row[c] = 0
	}
	return s
}

// Predict returns the probability that the outcome happens.
func (m *GBT) Predict(x []predict.Feature) float64 { return sigmoid(m.Logit(x)) }

// gbtEntry is one present feature of a training example, binned.
type gbtEntry struct {
	col int32
	bin uint8
}

type gbtTrainer struct {
	p       GBTParams
	ncol    int
	edges   [][]float32 // per column: bin b holds values <= edges[b] (last bin: above)
	zeroBin []uint8     // bin of the value 0 (absent)
	off     []int32     // per column: offset of its bins in a histogram
	nbins   int
	rows    [][]gbtEntry // per example, sorted by column
	g, h    []float64
}

type gbtHist struct {
	g, h []float64
	n    []int32
}

func (t *gbtTrainer) newHist() gbtHist {
	return gbtHist{g: make([]float64, t.nbins), h: make([]float64, t.nbins), n: make([]int32, t.nbins)}
}

// build fills hist for the examples idx, whose sums are G, H.
func (t *gbtTrainer) build(hs gbtHist, idx []int32, G, H float64) {
	clear(hs.g)
	clear(hs.h)
	clear(hs.n)
	for _, i := range idx {
		gi, hi := t.g[i], t.h[i]
		for _, e := range t.rows[i] {
			k := t.off[e.col] + int32(e.bin)
			hs.g[k] += gi
			hs.h[k] += hi
			hs.n[k]++
		}
	}
	// Absent features count in their column's bin of 0.
	n := int32(len(idx))
	for c := 0; c < t.ncol; c++ {
		lo, hi := t.off[c], t.off[c+1]
		var sg, sh float64
		var sn int32
		for k := lo; k < hi; k++ {
			sg += hs.g[k]
			sh += hs.h[k]
			sn += hs.n[k]
		}
		z := lo + int32(t.zeroBin[c])
		hs.g[z] += G - sg
		hs.h[z] += H - sh
		hs.n[z] += n - sn
	}
}

type gbtSplit struct {
	gain float64
	col  int32
	bin  int
}

func (t *gbtTrainer) best(hs gbtHist, G, H float64, cols []bool) gbtSplit {
	lam := t.p.Lambda
	parent := G * G / (H + lam)
	best := gbtSplit{col: -1}
	for c := 0; c < t.ncol; c++ {
		if !cols[c] {
			continue
		}
		lo, hi := t.off[c], t.off[c+1]
		var gl, hl float64
		for k := lo; k < hi-1; k++ {
			gl += hs.g[k]
			hl += hs.h[k]
			gr, hr := G-gl, H-hl
			if hl < t.p.MinHess || hr < t.p.MinHess {
				continue
			}
			gain := gl*gl/(hl+lam) + gr*gr/(hr+lam) - parent
			if gain > best.gain {
				best = gbtSplit{gain: gain, col: int32(c), bin: int(k - lo)}
			}
		}
	}
	return best
}

func (t *gbtTrainer) binOf(i int32, col int32) uint8 {
	r := t.rows[i]
	lo, hi := 0, len(r)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if r[mid].col < col {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo < len(r) && r[lo].col == col {
		return r[lo].bin
	}
	return t.zeroBin[col]
}

// TrainGBT fits a tree ensemble to the examples xs with outcomes ys.
func TrainGBT(xs [][]predict.Feature, ys []bool, p GBTParams) (*GBT, error) {
	if err := p.validate(); err != nil {
		return nil, err
	}
	if len(xs) != len(ys) || len(xs) == 0 {
		return nil, errors.New("gbt needs as many outcomes as examples, and at least one")
	}
	t := &gbtTrainer{p: p}
	m := &GBT{p: p}

	// Columns: hashed indices carried by at least MinCount examples, in
	// index order so that training does not depend on map order.
	counts := map[uint32]int{}
	for _, x := range xs {
		for k, f := range x {
			if !slices.ContainsFunc(x[:k], func(g predict.Feature) bool { return g.Index == f.Index }) {
				counts[f.Index]++
			}
		}
	}
	var idxs []uint32
	for idx, c := range counts {
		if c >= max(p.MinCount, 1) {
			idxs = append(idxs, idx)
		}
	}
	slices.Sort(idxs)
	t.ncol, m.ncol = len(idxs), len(idxs)
	size := 16
	for size < 2*len(idxs) {
		size <<= 1
	}
	m.keys, m.slots = make([]uint32, size), make([]int32, size)
	for c, idx := range idxs {
		m.insert(idx, int32(c))
	}
	m.row = make([]float32, t.ncol)

	// Dense values per column (absent = 0), then quantile bin edges.
	vals := make([][]float32, t.ncol)
	dense := make([][]float32, len(xs)) // per example, the values of its present columns, aligned with cols below
	cols := make([][]int32, len(xs))
	for i, x := range xs {
		for _, f := range x {
			c := m.column(f.Index)
			if c < 0 {
				continue
			}
			if j := slices.Index(cols[i], c); j >= 0 {
				dense[i][j] += f.Value
				continue
			}
			cols[i] = append(cols[i], c)
			dense[i] = append(dense[i], f.Value)
		}
		for j, c := range cols[i] {
			vals[c] = append(vals[c], dense[i][j])
		}
	}
	t.edges = make([][]float32, t.ncol)
	t.zeroBin = make([]uint8, t.ncol)
	t.off = make([]int32, t.ncol+1)
	for c := range vals {
		v := vals[c]
		slices.Sort(v)
		// The sorted column with its implicit zeros (absent features).
		nneg, _ := slices.BinarySearch(v, 0)
		npos := len(v) - nneg
		for npos > 0 && v[len(v)-npos] <= 0 {
			npos--
		}
		nz := len(xs) - nneg - npos
		at := func(k int) float32 {
			switch {
			case k < nneg:
				return v[k]
			case k < nneg+nz:
				return 0
			}
			return v[len(v)-npos+k-nneg-nz]
		}
		distinct := slices.Compact(slices.Clone(v))
		if !slices.Contains(distinct, 0) {
			distinct = append(distinct, 0)
			slices.Sort(distinct)
		}
		var e []float32
		if len(distinct) <= p.Bins {
			e = distinct
		} else {
			for b := 1; b < p.Bins; b++ {
				q := at(b * len(xs) / p.Bins)
				if len(e) == 0 || q > e[len(e)-1] {
					e = append(e, q)
				}
			}
			if last := at(len(xs) - 1); e[len(e)-1] < last {
				e = append(e, last)
			}
		}
		t.edges[c] = e
		t.zeroBin[c] = binIndex(0, e)
		t.off[c+1] = t.off[c] + int32(len(e)+1)
	}
	t.nbins = int(t.off[t.ncol])
	t.rows = make([][]gbtEntry, len(xs))
	for i := range xs {
		r := make([]gbtEntry, len(cols[i]))
		for j, c := range cols[i] {
			r[j] = gbtEntry{col: c, bin: binIndex(dense[i][j], t.edges[c])}
		}
		slices.SortFunc(r, func(a, b gbtEntry) int { return int(a.col - b.col) })
		t.rows[i] = r
	}

	// Boosting.
	pos := 0
	for _, y := range ys {
		if y {
			pos++
		}
	}
	prior := (float64(pos) + 0.5) / (float64(len(ys)) + 1)
	m.base = math.Log(prior / (1 - prior))
	f := make([]float64, len(xs))
	for i := range f {
		f[i] = m.base
	}
	t.g, t.h = make([]float64, len(xs)), make([]float64, len(xs))
	rng := rand.New(rand.NewPCG(p.Seed, 0x5851f42d4c957f2d))
	all := make([]int32, len(xs))
	for i := range all {
		all[i] = int32(i)
	}
	colOK := make([]bool, t.ncol)
	type work struct {
		node  int32
		idx   []int32
		hist  gbtHist
		G, H  float64
		depth int
	}
	for range p.Trees {
		for i := range xs {
			pi := sigmoid(f[i])
			y := 0.0
			if ys[i] {
				y = 1
			}
			t.g[i], t.h[i] = pi-y, math.Max(pi*(1-pi), 1e-12)
		}
		idx := all
		if p.Subsample > 0 && p.Subsample < 1 {
			rng.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
			idx = slices.Clone(all[:max(1, int(p.Subsample*float64(len(all))))])
		} else {
			idx = slices.Clone(all)
		}
		for c := range colOK {
			colOK[c] = p.ColSample <= 0 || p.ColSample >= 1 || rng.Float64() < p.ColSample
		}
		var G, H float64
		for _, i := range idx {
			G += t.g[i]
			H += t.h[i]
		}
		root := int32(len(m.nodes))
		m.nodes = append(m.nodes, gbtNode{col: -1})
		m.roots = append(m.roots, root)
		h0 := t.newHist()
		t.build(h0, idx, G, H)
		queue := []work{{node: root, idx: idx, hist: h0, G: G, H: H}}
		for len(queue) > 0 {
			w := queue[0]
			queue = queue[1:]
			leaf := func() {
				v := -w.G / (w.H + p.Lambda) * p.LearningRate
				m.nodes[w.node] = gbtNode{col: -1, value: float32(v)}
				for _, i := range w.idx {
					f[i] += v
				}
			}
			if w.depth >= p.Depth {
				leaf()
				continue
			}
			s := t.best(w.hist, w.G, w.H, colOK)
			if s.col < 0 || s.gain <= 1e-9 {
				leaf()
				continue
			}
			var l, r []int32
			for _, i := range w.idx {
				if int(t.binOf(i, s.col)) <= s.bin {
					l = append(l, i)
				} else {
					r = append(r, i)
				}
			}
			var gl, hl float64
			for _, i := range l {
				gl += t.g[i]
				hl += t.h[i]
			}
			li, ri := int32(len(m.nodes)), int32(len(m.nodes)+1)
			m.nodes = append(m.nodes, gbtNode{col: -1}, gbtNode{col: -1})
			m.nodes[w.node] = gbtNode{col: s.col, thr: t.edges[s.col][s.bin], left: li, right: ri}
			// Histogram of the smaller child; the larger one is the parent's minus it.
			small := l
			if len(r) < len(l) {
				small = r
			}
			hs, hb := t.newHist(), w.hist
			var gs, hss float64
			for _, i := range small {
				gs += t.g[i]
				hss += t.h[i]
			}
			t.build(hs, small, gs, hss)
			for k := range hb.g {
				hb.g[k] -= hs.g[k]
				hb.h[k] -= hs.h[k]
				hb.n[k] -= hs.n[k]
			}
			hl2, hr2 := hs, hb
			if len(r) < len(l) {
				hl2, hr2 = hb, hs
			}
			queue = append(queue,
				work{node: li, idx: l, hist: hl2, G: gl, H: hl, depth: w.depth + 1},
				work{node: ri, idx: r, hist: hr2, G: w.G - gl, H: w.H - hl, depth: w.depth + 1})
		}
		// Examples left out of the subsample still need their scores.
		if len(idx) < len(all) {
			in := make([]bool, len(xs))
			for _, i := range idx {
				in[i] = true
			}
			for i := range xs {
				if !in[i] {
					f[i] += float64(m.leafOf(root, t, int32(i)))
				}
			}
		}
	}
	return m, nil
}

func (m *GBT) leafOf(root int32, t *gbtTrainer, i int32) float32 {
	n := &m.nodes[root]
	for n.col >= 0 {
		if int(t.binOf(i, n.col)) <= int(binIndex(n.thr, t.edges[n.col])) {
			n = &m.nodes[n.left]
		} else {
			n = &m.nodes[n.right]
		}
	}
	return n.value
}

// binIndex is the bin of v: the first edge ≥ v, or len(edges).
func binIndex(v float32, edges []float32) uint8 {
	return uint8(sort.Search(len(edges), func(i int) bool { return edges[i] >= v }))
}
