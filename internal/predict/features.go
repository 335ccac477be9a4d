package predict

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/presage-dev/presage/internal/presage"
)

// Feature is one hashed sparse feature. Index is the full 32-bit hash of the
// feature name; a model keeps its low bits, so models of any size share one
// feature vector.
type Feature struct {
	Index uint32
	Value float32
}

// FeatureEvent is the input of the feature state: a presage.Event reduced to what
// prediction may use, with the attributes already decoded.
type FeatureEvent struct {
	Type       presage.EventType
	Name       string    // custom event, form or plugin name; may be empty
	Path       string    // URL path without query or fragment
	OccurredAt time.Time // must not decrease within a session (earlier times count as the latest seen)
	Attributes map[string]any
	Context    presage.Enrichment
}

// VisitorKind says whether a visitor was seen before this session.
type VisitorKind string

const (
	VisitorNew       VisitorKind = "new"
	VisitorReturning VisitorKind = "returning"
	VisitorOther     VisitorKind = "other"
)

// History is what was known about the visitor when the session started.
type History struct {
	Kind         VisitorKind
	PastSessions int
	LastVisit    time.Time      // end of the previous session; zero if none
	Achievements []string       // outcomes achieved in past sessions
	Location     *time.Location // visitor's time zone; nil means UTC
}

// AttrSpec selects an event attribute as a feature.
type AttrSpec struct {
	Name string
	// Edges are the bin boundaries of a numeric attribute: bin i holds
	// values v with Edges[i-1] < v <= Edges[i]. Nil means categorical.
	Edges []float64
	// Mean averages a numeric attribute over the events that carry it (page
	// metrics); otherwise the latest value counts.
	Mean bool
	// Cross makes the attribute's bin join the pairwise crosses.
	Cross bool
	// Gate makes the attribute split the model in two: every feature but
	// the crosses is also emitted crossed with whether the value is above
	// Edges[0] (numeric) or with the value (categorical), so the model
	// learns separate weights on each side on top of the shared ones. At
	// most one attribute should gate (the first valid one wins); nothing is
	// gated while the attribute is missing.
	Gate bool
}

// FeatureConfig chooses the features of one organization.
type FeatureConfig struct {
	Attrs   []AttrSpec
	NGram   int  // longest n-gram of page types, 1–3
	Crosses bool // pairwise crosses of the key categorical features
	// CrossPageTypes makes each page type's views bucket join the crosses.
	CrossPageTypes bool
	// PageGroups give matching paths their page type (FeatureSettings).
	PageGroups []pageGroup
	// Omit leaves families of features out.
	Omit FeatureOmissions
	// Version is that of the FeatureSettings the configuration comes from.
	Version int64
}

// FeatureOmissions leave families of features out (the zero value keeps
// them all, as DefaultFeatureConfig does).
type FeatureOmissions struct {
	History, Referrer, UTM, Device, TimeOfDay bool
}

// pageGroup is a compiled PageGroup.
type pageGroup struct {
	segments []string // lower case; "*" one segment, "**" any number
	h        uint64   // hashString(group), the page type of matching paths
}

func compilePageGroup(g PageGroup) pageGroup {
	var segs []string
	if t := strings.Trim(g.Pattern, "/"); t != "" {
		segs = strings.Split(strings.ToLower(t), "/")
	}
	return pageGroup{segments: segs, h: hashString(g.Group)}
}

// matches reports whether path (no query or fragment) matches the group's
// pattern, segment by segment, ignoring case.
func (g *pageGroup) matches(path string) bool {
	return matchSegments(g.segments, strings.Trim(path, "/"))
}

func matchSegments(pat []string, path string) bool {
	for i, seg := range pat {
		if seg == "**" {
			rest := pat[i+1:]
			for {
				if matchSegments(rest, path) {
					return true
				}
				j := strings.IndexByte(path, '/')
				if path == "" {
					return false
				}
				if j < 0 {
					path = ""
				} else {
					path = path[j+1:]
				}
			}
		}
		if path == "" {
			return false
		}
		head := path
		if j := strings.IndexByte(path, '/'); j >= 0 {
			head, path = path[:j], path[j+1:]
		} else {
			path = ""
		}
		if seg != "*" && !strings.EqualFold(seg, head) {
			return false
		}
	}
	return path == ""
}

// DefaultFeatureConfig is the configuration for a site with no selected
// attributes.
func DefaultFeatureConfig() FeatureConfig {
	return FeatureConfig{NGram: 3, Crosses: true, CrossPageTypes: true}
}

const (
	maxPageTypes = 8   // page types tracked separately; later ones share "other"
	maxCustoms   = 16  // custom event names tracked; later ones share "other"
	maxDistinct  = 512 // distinct paths remembered
	maxCross     = 16  // slots joining the crosses
)

type pageTypeStat struct {
	h     uint64
	count int32
	dwell time.Duration
}

type nameCount struct {
	h     uint64
	count int32
}

type attrState struct {
	sum   float64
	n     int32
	num   bool
	catH  uint64
	valid bool
}

// SessionFeatures is the feature state of one visit, updated incrementally by Add.
// Its features at time t depend only on the events added so far, which the
// caller adds in time order as they happen: there is no way to look ahead.
type SessionFeatures struct {
	cfg      *FeatureConfig
	hist     History
	started  time.Time
	last     time.Time
	events   int
	types    [numEventTypes]int32
	pages    []pageTypeStat
	curPage  int
	lastPage time.Time
	customs  []nameCount
	distinct []uint64
	recent   [3]uint64 // last page types, most recent first
	nRecent  int
	attrs    []attrState
	ctx      presage.Enrichment
	dwell    time.Duration
}

const numEventTypes = 10

var eventTypeIndex = map[presage.EventType]int{
	presage.EventPageview: 0, presage.EventCustom: 1, presage.EventSearch: 2, presage.EventFormStart: 3,
	presage.EventFormSubmit: 4, presage.EventFormAbandon: 5, presage.EventIdentify: 6, presage.EventScroll: 7,
	presage.EventChat: 8, "": 9,
}

var eventTypeHash [numEventTypes]uint64

func init() {
	for t, i := range eventTypeIndex {
		eventTypeHash[i] = hashString(string(t))
	}
}

// NewSessionFeatures starts the feature state of a visit. cfg must outlive it.
func NewSessionFeatures(cfg *FeatureConfig, h History) *SessionFeatures {
	s := &SessionFeatures{cfg: cfg, attrs: make([]attrState, len(cfg.Attrs)),
		pages: make([]pageTypeStat, 0, maxPageTypes), customs: make([]nameCount, 0, maxCustoms)}
	s.Reset(h)
	return s
}

// Reset empties the state for a new visit, keeping its memory.
func (s *SessionFeatures) Reset(h History) {
	attrs, pages, customs, distinct := s.attrs, s.pages[:0], s.customs[:0], s.distinct[:0]
	clear(attrs)
	*s = SessionFeatures{cfg: s.cfg, hist: h, attrs: attrs, pages: pages, customs: customs, distinct: distinct, curPage: -1}
}

// Add updates the state with the next event of the visit.
func (s *SessionFeatures) Add(e FeatureEvent) {
	t := e.OccurredAt
	if s.events == 0 {
		s.started, s.last, s.ctx = t, t, e.Context
	}
	if t.Before(s.last) {
		t = s.last
	}
	if s.curPage >= 0 {
		d := t.Sub(s.last)
		s.pages[s.curPage].dwell += d
		s.dwell += d
	}
	s.last = t
	s.events++
	ti, ok := eventTypeIndex[e.Type]
	if !ok {
		ti = eventTypeIndex[""]
	}
	s.types[ti]++
	switch e.Type {
	case presage.EventPageview:
		s.addPage(e)
	case presage.EventCustom:
		s.addCustom(e.Name)
	}
	for i := range s.cfg.Attrs {
		v, ok := e.Attributes[s.cfg.Attrs[i].Name]
		if !ok {
			continue
		}
		s.addAttr(i, v)
	}
}

func (s *SessionFeatures) addPage(e FeatureEvent) {
	h, ph := pathHashes(e.Path)
	if pt, _ := e.Attributes["page_type"].(string); pt != "" {
		h = hashString(pt)
	} else if len(s.cfg.PageGroups) > 0 {
		p := e.Path
		if i := strings.IndexAny(p, "?#"); i >= 0 {
			p = p[:i]
		}
		for i := range s.cfg.PageGroups {
			if s.cfg.PageGroups[i].matches(p) {
				h = s.cfg.PageGroups[i].h
				break
			}
		}
	}
	i := -1
	for j := range s.pages {
		if s.pages[j].h == h {
			i = j
			break
		}
	}
	if i < 0 {
		if len(s.pages) == maxPageTypes {
			h = hashString("other")
			for j := range s.pages {
				if s.pages[j].h == h {
					i = j
				}
			}
			if i < 0 {
				i = len(s.pages) - 1 // the last slot becomes "other"
				s.pages[i] = pageTypeStat{h: h}
			}
		} else {
			s.pages = append(s.pages, pageTypeStat{h: h})
			i = len(s.pages) - 1
		}
	}
	s.pages[i].count++
	s.curPage = i
	s.lastPage = s.last
	copy(s.recent[1:], s.recent[:2])
	s.recent[0] = h
	if s.nRecent < len(s.recent) {
		s.nRecent++
	}
	for _, d := range s.distinct {
		if d == ph {
			return
		}
	}
	if len(s.distinct) < maxDistinct {
		s.distinct = append(s.distinct, ph)
	}
}

func (s *SessionFeatures) addCustom(name string) {
	h := hashString(name)
	for i := range s.customs {
		if s.customs[i].h == h {
			s.customs[i].count++
			return
		}
	}
	if len(s.customs) == maxCustoms {
		h = hashString("\x00other")
		for i := range s.customs {
			if s.customs[i].h == h {
				s.customs[i].count++
				return
			}
		}
		s.customs[maxCustoms-1] = nameCount{h: h, count: 1}
		return
	}
	s.customs = append(s.customs, nameCount{h: h, count: 1})
}

func (s *SessionFeatures) addAttr(i int, v any) {
	spec, st := &s.cfg.Attrs[i], &s.attrs[i]
	num, isNum, h := attrValue(v)
	if spec.Edges != nil {
		if !isNum {
			return
		}
		if spec.Mean {
			st.sum += num
			st.n++
		} else {
			st.sum, st.n = num, 1
		}
		st.num, st.valid = true, true
		return
	}
	st.catH, st.valid = h, true
}

// attrValue decodes an attribute value: its number if it has one, and a hash
// of its value for categorical use.
func attrValue(v any) (float64, bool, uint64) {
	switch x := v.(type) {
	case float64:
		return x, true, math.Float64bits(x)
	case float32:
		return float64(x), true, math.Float64bits(float64(x))
	case int:
		return float64(x), true, math.Float64bits(float64(x))
	case int64:
		return float64(x), true, math.Float64bits(float64(x))
	case bool:
		if x {
			return 1, true, 1
		}
		return 0, true, 0
	case string:
		if f, err := strconv.ParseFloat(x, 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
			return f, true, hashString(x)
		}
		return 0, false, hashString(x)
	case map[string]any: // {"dataType": …, "value": …}
		if inner, ok := x["value"]; ok {
			return attrValue(inner)
		}
	}
	return 0, false, 0
}

// PathTemplate turns a URL path into a template: lower case, at most three
// segments, and segments that look like identifiers replaced by ":id".
func PathTemplate(p string) string {
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	p = strings.Trim(p, "/")
	if p == "" {
		return "/"
	}
	var b strings.Builder
	for n := 0; n < 3 && p != ""; n++ {
		seg := p
		if i := strings.IndexByte(p, '/'); i >= 0 {
			seg, p = p[:i], p[i+1:]
		} else {
			p = ""
		}
		b.WriteByte('/')
		if looksLikeID(seg) {
			b.WriteString(":id")
		} else {
			b.WriteString(asciiLower(seg))
		}
	}
	return b.String()
}

// pathHashes returns, without allocating, hashString(PageType(PathTemplate(p)))
// and a hash of PathTemplate(p).
func pathHashes(p string) (typeH, tmplH uint64) {
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	p = strings.Trim(p, "/")
	if p == "" {
		return hashString("home"), hashString("/")
	}
	t := newHash("tmpl")
	for n := 0; n < 3 && p != ""; n++ {
		seg := p
		if i := strings.IndexByte(p, '/'); i >= 0 {
			seg, p = p[:i], p[i+1:]
		} else {
			p = ""
		}
		var sh hasher
		if looksLikeID(seg) {
			sh = newHash("").str(":id")
		} else {
			sh = newHash("").lower(seg)
		}
		if n == 0 {
			typeH = uint64(sh)
		}
		t = t.u64(uint64(sh))
	}
	return typeH, uint64(t)
}

func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= 'A' && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

func looksLikeID(seg string) bool {
	if len(seg) > 24 {
		return true
	}
	for i := 0; i < len(seg); i++ {
		if seg[i] >= '0' && seg[i] <= '9' {
			return true
		}
	}
	return false
}

// PageType is the first segment of a path template ("home" for "/").
func PageType(tmpl string) string {
	t := strings.TrimPrefix(tmpl, "/")
	if t == "" {
		return "home"
	}
	if i := strings.IndexByte(t, '/'); i >= 0 {
		t = t[:i]
	}
	return t
}

// countBucket bins a count: 0–4 exactly, then two bins per doubling.
func countBucket(n int) int {
	if n < 5 {
		return n
	}
	return min(5+int(2*math.Log2(float64(n)/5)), 30)
}

// secondsBucket bins a duration on a log scale, two bins per doubling.
func secondsBucket(d time.Duration) int {
	sec := d.Seconds()
	if sec <= 0 {
		return 0
	}
	return min(1+int(2*math.Log2(1+sec)), 40)
}

func numBin(v float64, edges []float64) int {
	for i, e := range edges {
		if v <= e {
			return i
		}
	}
	return len(edges)
}

// featureSink appends hashed features.
type featureSink struct{ dst []Feature }

func (f *featureSink) add(h hasher, v float64) {
	f.dst = append(f.dst, Feature{Index: uint32(h.mix()), Value: float32(v)})
}

// Features appends the features of the visit at time at (the time of the
// latest event, or later while the visitor stays on a page) to dst.
func (s *SessionFeatures) Features(at time.Time, dst []Feature) []Feature {
	f := featureSink{dst: dst}
	if at.Before(s.last) {
		at = s.last
	}
	var cross [maxCross]uint64
	nc := 0
	slot := func(h hasher) {
		if nc < maxCross {
			cross[nc] = uint64(h)
			nc++
		}
	}
	start := len(f.dst)
	var gate uint64
	f.add(newHash("bias"), 1)

	for i, c := range s.types {
		if c == 0 && i != 0 {
			continue
		}
		f.add(newHash("n").u64(eventTypeHash[i]), math.Log1p(float64(c)))
		b := newHash("nb").u64(eventTypeHash[i]).int(countBucket(int(c)))
		f.add(b, 1)
		if i == 0 {
			slot(b)
		}
	}
	f.add(newHash("distinct"), math.Log1p(float64(len(s.distinct))))
	f.add(newHash("distinctb").int(countBucket(len(s.distinct))), 1)

	dwell := s.dwell
	var live time.Duration
	if s.curPage >= 0 {
		live = at.Sub(s.last)
		dwell += live
	}
	for i := range s.pages {
		p := &s.pages[i]
		d := p.dwell
		if i == s.curPage {
			d += live
		}
		f.add(newHash("pt.n").u64(p.h), math.Log1p(float64(p.count)))
		b := newHash("pt.nb").u64(p.h).int(countBucket(int(p.count)))
		f.add(b, 1)
		if s.cfg.CrossPageTypes {
			slot(b)
		}
		f.add(newHash("pt.d").u64(p.h), math.Log1p(d.Seconds()))
		f.add(newHash("pt.db").u64(p.h).int(secondsBucket(d)), 1)
		f.add(newHash("pt.avg").u64(p.h).int(secondsBucket(d/time.Duration(p.count))), 1)
	}
	db := newHash("dwellb").int(secondsBucket(dwell))
	f.add(db, 1)
	slot(db)
	f.add(newHash("dwell"), math.Log1p(dwell.Seconds()))
	since := at.Sub(s.started)
	f.add(newHash("sinceb").int(secondsBucket(since)), 1)
	if s.events > 0 {
		f.add(newHash("sincelast").int(secondsBucket(at.Sub(s.last))), 1)
	}

	ng := min(max(s.cfg.NGram, 1), s.nRecent)
	for n := 1; n <= ng; n++ {
		h := newHash("gram").int(n)
		for i := 0; i < n; i++ {
			h = h.u64(s.recent[i])
		}
		f.add(h, 1)
	}
	for _, c := range s.customs {
		f.add(newHash("custom").u64(c.h), math.Log1p(float64(c.count)))
	}

	omit := &s.cfg.Omit
	if !omit.Device {
		f.add(newHash("device").str(s.ctx.Device), 1)
		f.add(newHash("browser").str(s.ctx.Browser), 1)
		f.add(newHash("os").str(s.ctx.OS), 1)
	}
	if !omit.Referrer {
		f.add(newHash("ref").str(s.ctx.ReferrerClass), 1)
	}
	if !omit.UTM && (s.ctx.UTM.Source != "" || s.ctx.UTM.Medium != "") {
		f.add(newHash("utm.s").str(s.ctx.UTM.Source), 1)
		f.add(newHash("utm.m").str(s.ctx.UTM.Medium), 1)
		f.add(newHash("utm.c").str(s.ctx.UTM.Campaign), 1)
	}

	if !omit.TimeOfDay {
		loc := s.hist.Location
		if loc == nil {
			loc = time.UTC
		}
		lt := s.started.In(loc)
		f.add(newHash("hour").int(lt.Hour()), 1)
		wd := lt.Weekday()
		f.add(newHash("weekday").int(int(wd)), 1)
		mh := newHash("month").int(int(lt.Month()))
		f.add(mh, 1)
		slot(mh)
		wk := 0
		if wd == time.Saturday || wd == time.Sunday {
			wk = 1
		}
		wh := newHash("weekend").int(wk)
		f.add(wh, 1)
	}

	if !omit.History {
		kh := newHash("kind").str(string(s.hist.Kind))
		f.add(kh, 1)
		slot(kh)
		f.add(newHash("past").int(countBucket(s.hist.PastSessions)), 1)
		if !s.hist.LastVisit.IsZero() {
			f.add(newHash("lastvisit").int(secondsBucket(s.started.Sub(s.hist.LastVisit))), 1)
		}
		for _, a := range s.hist.Achievements {
			f.add(newHash("achieved").str(a), 1)
		}
	}

	for i := range s.cfg.Attrs {
		spec, st := &s.cfg.Attrs[i], &s.attrs[i]
		name := newHash("attr").str(spec.Name)
		if !st.valid {
			h := name.str("\x00missing")
			f.add(h, 1)
			if spec.Cross {
				slot(h)
			}
			continue
		}
		var h hasher
		if spec.Edges != nil {
			v := st.sum / float64(st.n)
			if spec.Gate && gate == 0 {
				gate = uint64(name.str("\x00gate").int(numBin(v, spec.Edges[:1])))
			}
			h = name.int(numBin(v, spec.Edges))
			f.add(name.str("\x00value"), math.Log1p(math.Max(v, 0)))
		} else {
			h = name.u64(st.catH)
			if spec.Gate && gate == 0 {
				gate = uint64(name.str("\x00gate").u64(st.catH))
			}
		}
		f.add(h, 1)
		if spec.Cross {
			slot(h)
		}
	}

	if gate != 0 { // the gated copies of every feature so far
		n := len(f.dst)
		for i := start; i < n; i++ {
			x := f.dst[i]
			f.dst = append(f.dst, Feature{Index: uint32(hasher(gate).u64(uint64(x.Index)).mix()), Value: x.Value})
		}
	}
	if s.cfg.Crosses {
		for i := 0; i < nc; i++ {
			for j := i + 1; j < nc; j++ {
				f.add(newHash("x").u64(cross[i]).u64(cross[j]), 1)
			}
		}
	}
	return f.dst
}
