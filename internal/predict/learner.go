package predict

import (
	"bytes"
	"encoding/json"
	"net/url"
	"sync"
	"time"

	"github.com/presage-dev/presage/internal/outcome"
	"github.com/presage-dev/presage/internal/presage"
)

// FromStored reduces a stored event to what prediction may use. Attributes
// that are not a JSON object read as none.
func FromStored(e presage.Event) FeatureEvent { return fromStored(e, true) }

// fromStored converts e, decoding its attributes only when decode is set
// (decoding is the largest cost of scoring an event that needs none).
func fromStored(e presage.Event, decode bool) FeatureEvent {
	out := FeatureEvent{Type: e.Type, Name: e.Name, OccurredAt: e.OccurredAt, Context: e.Context}
	if decode && len(e.Attributes) > 2 {
		var attrs map[string]any
		if json.Unmarshal(e.Attributes, &attrs) == nil {
			out.Attributes = attrs
		}
	}
	out.Path = URLPath(e.URL)
	return out
}

// readsAttributes reports whether the feature state reads e's attributes:
// selected attributes, or a page type given as an attribute.
func (cfg *FeatureConfig) readsAttributes(e *presage.Event) bool {
	return len(cfg.Attrs) > 0 ||
		e.Type == presage.EventPageview && bytes.Contains(e.Attributes, []byte(`"page_type"`))
}

// URLPath returns the path of a URL ("" when it has none).
func URLPath(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Path
}

// HistoryOf turns what the store knows of a visitor's past into the
// feature state's History. tz is the IANA zone the browser reported; an
// unknown zone counts as UTC.
func HistoryOf(vh VisitorHistory, tz string) History {
	h := History{Kind: VisitorNew, PastSessions: vh.PastSessions, LastVisit: vh.LastVisit, Achievements: vh.Achieved,
		Location: location(tz)}
	if vh.PastSessions > 0 {
		h.Kind = VisitorReturning
	}
	return h
}

// FirstAchievement returns the index of the first event that achieves m's
// outcome and its value, or -1.
func FirstAchievement(m *outcome.Matcher, events []FeatureEvent) (int, *float64) {
	for i := range events {
		if ok, v := m.Match(events[i].Type, events[i].Name, events[i].Path, events[i].Attributes); ok {
			return i, v
		}
	}
	return -1, nil
}

// MaxMoments caps the scored moments one labelled session contributes to
// training, so a long session does not outweigh many short ones.
const MaxMoments = 8

// Moments replays the first upto events of a session and returns the
// features as they stood after each of them — the moments live scoring saw —
// subsampled evenly to at most MaxMoments, always keeping the last. Nothing
// after event upto-1 can reach them.
func Moments(cfg *FeatureConfig, h History, events []FeatureEvent, upto int) [][]Feature {
	upto = min(upto, len(events))
	if upto <= 0 {
		return nil
	}
	keep := make([]bool, upto)
	n := min(upto, MaxMoments)
	for k := 1; k <= n; k++ {
		keep[(k*upto)/n-1] = true
	}
	s := NewSessionFeatures(cfg, h)
	out := make([][]Feature, 0, n)
	var buf []Feature
	for i := 0; i < upto; i++ {
		s.Add(events[i])
		if !keep[i] {
			continue
		}
		buf = s.Features(s.last, buf[:0])
		out = append(out, append([]Feature(nil), buf...))
	}
	return out
}

// Learner is the trainable state of one (organization, outcome) model: the
// model, its progressive-validation monitor and the reference scores for
// percentiles.
type Learner struct {
	Model     *FTRL
	Monitor   *Monitor
	Reference *Reference
	Examples  int64
	Sessions  int64
	Positives int64
}

// MonitorWindow is how many recent labelled sessions the window figures cover.
const MonitorWindow = 2000

// NewLearner returns an untrained learner.
func NewLearner(p FTRLParams) (*Learner, error) {
	m, err := NewFTRL(p)
	if err != nil {
		return nil, err
	}
	return &Learner{Model: m, Monitor: NewMonitor(MonitorWindow), Reference: NewReference()}, nil
}

// Learn learns from one labelled session given its moments (oldest first).
// It first scores the last moment with the model as it stands — the
// session's progressive validation, recorded in the monitor and the
// reference — and then updates the model on every moment. It returns that
// score; a session without moments teaches nothing and returns -1.
func (l *Learner) Learn(moments [][]Feature, y bool) float64 {
	if len(moments) == 0 {
		return -1
	}
	p := l.Model.Predict(moments[len(moments)-1])
	l.Monitor.Observe(p, y)
	l.Reference.Add(p)
	for _, x := range moments {
		l.Model.Update(x, y)
	}
	l.Examples += int64(len(moments))
	l.Sessions++
	if y {
		l.Positives++
	}
	return p
}

// locations caches loaded time zones; at most maxLocations distinct names
// are kept so client-sent zone names cannot grow it without bound.
var locations = struct {
	sync.Mutex
	m map[string]*time.Location
}{m: map[string]*time.Location{}}

const maxLocations = 1000

// location loads an IANA zone once; unknown zones are UTC.
func location(tz string) *time.Location {
	if tz == "" {
		return time.UTC
	}
	locations.Lock()
	defer locations.Unlock()
	if l, ok := locations.m[tz]; ok {
		return l
	}
	l, err := time.LoadLocation(tz)
	if err != nil {
		l = time.UTC
	}
	if len(locations.m) < maxLocations {
		locations.m[tz] = l
	}
	return l
}
