package eval

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/presage-dev/presage/internal/predict"
	"github.com/presage-dev/presage/internal/presage"
)

// Journey is the history and the events of one session, in time order:
// what the feature code takes (a UCI row made into events).
type Journey struct {
	History predict.History
	Events  []predict.FeatureEvent
}

// Attribute names of UCI journeys.
const (
	AttrBounceRate  = "bounce_rate"
	AttrExitRate    = "exit_rate"
	AttrPageValue   = "page_value"
	AttrSpecialDay  = "special_day"
	AttrRegion      = "region"
	AttrTrafficType = "traffic_type"
)

var uciPageTypes = [3]string{"administrative", "informational", "product"}

// uciStart is the session start: the first Saturday (weekend) or Wednesday
// of the month in 2017, at noon UTC. The file has no year, day or hour.
func uciStart(m time.Month, weekend bool) time.Time {
	want := time.Wednesday
	if weekend {
		want = time.Saturday
	}
	t := time.Date(2017, m, 1, 12, 0, 0, 0, time.UTC)
	for t.Weekday() != want {
		t = t.AddDate(0, 0, 1)
	}
	return t
}

// Journey converts a row into the events of its session: page views by page
// type (administrative, then informational, then product pages) spaced so
// that the time spent on each type equals its duration; the Google Analytics
// page metrics as attributes of every page view; browser and OS as
// enrichment; region, traffic type and special day as attributes of the
// first event; a trailing scroll event when the last page has a duration; a
// single scroll event for a session without pages. Revenue is the label and
// appears in no event.
func (r UCIRow) Journey() Journey {
	kind := predict.VisitorOther
	switch r.VisitorType {
	case "Returning_Visitor":
		kind = predict.VisitorReturning
	case "New_Visitor":
		kind = predict.VisitorNew
	}
	j := Journey{History: predict.History{Kind: kind, Location: time.UTC}}
	ctx := presage.Enrichment{Browser: "browser-" + strconv.Itoa(r.Browser), OS: "os-" + strconv.Itoa(r.OperatingSystems)}
	t := uciStart(r.Month, r.Weekend)
	counts := [3]int{r.Administrative, r.Informational, r.ProductRelated}
	durs := [3]float64{r.AdministrativeDuration, r.InformationalDuration, r.ProductRelatedDuration}
	metrics := func(first bool) map[string]any {
		a := map[string]any{AttrBounceRate: r.BounceRates, AttrExitRate: r.ExitRates, AttrPageValue: r.PageValues}
		if first {
			a[AttrSpecialDay], a[AttrRegion], a[AttrTrafficType] = r.SpecialDay, r.Region, r.TrafficType
		}
		return a
	}
	var lastShare int64
	for k := range counts {
		if counts[k] == 0 {
			continue
		}
		total := int64(math.Round(durs[k] * 1e9))
		share, rem := total/int64(counts[k]), total%int64(counts[k])
		for i := range counts[k] {
			d := share
			if i == 0 {
				d += rem
			}
			j.Events = append(j.Events, predict.FeatureEvent{Type: presage.EventPageview,
				Path: "/" + uciPageTypes[k] + "/" + strconv.Itoa(i+1), OccurredAt: t,
				Attributes: metrics(len(j.Events) == 0), Context: ctx})
			t = t.Add(time.Duration(d))
			lastShare = d
		}
	}
	switch {
	case len(j.Events) == 0:
		j.Events = append(j.Events, predict.FeatureEvent{Type: presage.EventScroll, OccurredAt: t,
			Attributes: metrics(true), Context: ctx})
	case lastShare > 0:
		j.Events = append(j.Events, predict.FeatureEvent{Type: presage.EventScroll, OccurredAt: t,
			Attributes: map[string]any{"percent": 100.0}, Context: ctx})
	}
	return j
}

// UCIRowFromJourney rebuilds the row of a journey made by UCIRow.Journey
// (Revenue, the label, is not in the journey and is left false).
func UCIRowFromJourney(j Journey) (UCIRow, error) {
	var r UCIRow
	if len(j.Events) == 0 {
		return r, errors.New("uci journey: no events")
	}
	switch j.History.Kind {
	case predict.VisitorReturning:
		r.VisitorType = "Returning_Visitor"
	case predict.VisitorNew:
		r.VisitorType = "New_Visitor"
	default:
		r.VisitorType = "Other"
	}
	start := j.Events[0].OccurredAt
	r.Month = start.Month()
	r.Weekend = start.Weekday() == time.Saturday || start.Weekday() == time.Sunday
	ctx := j.Events[0].Context
	if _, err := fmt.Sscanf(ctx.Browser, "browser-%d", &r.Browser); err != nil {
		return r, fmt.Errorf("uci journey: browser %q: %w", ctx.Browser, err)
	}
	if _, err := fmt.Sscanf(ctx.OS, "os-%d", &r.OperatingSystems); err != nil {
		return r, fmt.Errorf("uci journey: os %q: %w", ctx.OS, err)
	}
	a := j.Events[0].Attributes
	num := func(k string) float64 { return number(a[k]) }
	r.BounceRates, r.ExitRates, r.PageValues = num(AttrBounceRate), num(AttrExitRate), num(AttrPageValue)
	r.SpecialDay = num(AttrSpecialDay)
	r.Region, r.TrafficType = int(num(AttrRegion)), int(num(AttrTrafficType))
	var counts [3]int
	var ns [3]int64
	cur := -1
	for i, e := range j.Events {
		if cur >= 0 {
			ns[cur] += int64(e.OccurredAt.Sub(j.Events[i-1].OccurredAt))
		}
		if e.Type != presage.EventPageview {
			continue
		}
		cur = -1
		for k, pt := range uciPageTypes {
			if predict.PageType(predict.PathTemplate(e.Path)) == pt {
				cur = k
			}
		}
		if cur < 0 {
			return r, fmt.Errorf("uci journey: unknown page %q", e.Path)
		}
		counts[cur]++
	}
	r.Administrative, r.Informational, r.ProductRelated = counts[0], counts[1], counts[2]
	r.AdministrativeDuration = float64(ns[0]) / 1e9
	r.InformationalDuration = float64(ns[1]) / 1e9
	r.ProductRelatedDuration = float64(ns[2]) / 1e9
	return r, nil
}

// UCIFeatureConfig selects the UCI session attributes, the analogue of an
// organization's selected attributes; withPageValues=false leaves out the
// page-value metric (partly computed from the purchases).
func UCIFeatureConfig(withPageValues bool) predict.FeatureConfig {
	cfg := predict.DefaultFeatureConfig()
	cfg.Attrs = []predict.AttrSpec{
		{Name: AttrBounceRate, Edges: []float64{0, 0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.19}, Mean: true, Cross: true},
		{Name: AttrExitRate, Edges: []float64{0.01, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.07, 0.1, 0.15, 0.199}, Mean: true, Cross: true},
		{Name: AttrSpecialDay, Edges: []float64{0, 0.2, 0.4, 0.6, 0.8}},
		{Name: AttrRegion},
		{Name: AttrTrafficType, Cross: true},
	}
	if withPageValues {
		// Page value gates the model: sessions that reached a page which
		// preceded purchases (value > 0) get their own weights.
		cfg.Attrs = append(cfg.Attrs, predict.AttrSpec{Name: AttrPageValue,
			Edges: []float64{0, 2, 5, 8, 12, 16, 20, 25, 30, 40, 55, 75, 100, 150}, Mean: true, Cross: true, Gate: true})
	}
	// With three page types whose counts are features of their own, their
	// view buckets in the crosses only add noise (measured: docs/prediction.md).
	cfg.CrossPageTypes = false
	return cfg
}

// JourneyFeatures feeds a journey to a fresh session and returns the
// features at its last event: the same code the server runs per event.
func JourneyFeatures(cfg *predict.FeatureConfig, j Journey, dst []predict.Feature) []predict.Feature {
	s := predict.NewSessionFeatures(cfg, j.History)
	for _, e := range j.Events {
		s.Add(e)
	}
	return s.Features(j.Events[len(j.Events)-1].OccurredAt, dst)
}

// number reads an attribute value of a journey made by UCIRow.Journey (or
// decoded from JSON): its number, or 0.
func number(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case int:
		return float64(x)
	}
	return 0
}
