package predict

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/presage-dev/presage/internal/presage"
)

// UCIRow is one session of the UCI "Online Shoppers Purchasing Intention"
// data set (Sakar et al. 2019), normalized: blank counts and durations of -1
// read as 0.
type UCIRow struct {
	Administrative         int
	AdministrativeDuration float64 // seconds
	Informational          int
	InformationalDuration  float64
	ProductRelated         int
	ProductRelatedDuration float64
	BounceRates            float64
	ExitRates              float64
	PageValues             float64
	SpecialDay             float64
	Month                  time.Month
	OperatingSystems       int
	Browser                int
	Region                 int
	TrafficType            int
	VisitorType            string // Returning_Visitor, New_Visitor or Other
	Weekend                bool
	Revenue                bool // the outcome: the session ended with a purchase
}

// UCIHeader is the header line of the data file.
var UCIHeader = []string{"Administrative", "Administrative_Duration", "Informational", "Informational_Duration",
	"ProductRelated", "ProductRelated_Duration", "BounceRates", "ExitRates", "PageValues", "SpecialDay", "Month",
	"OperatingSystems", "Browser", "Region", "TrafficType", "VisitorType", "Weekend", "Revenue"}

// uciMonths spells months as the file does ("June", otherwise three letters).
var uciMonths = [...]string{"", "Jan", "Feb", "Mar", "Apr", "May", "June", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

// ParseUCIRow parses one data line (the file has no quoted fields).
func ParseUCIRow(line string) (UCIRow, error) {
	return ParseUCIRecord(strings.Split(strings.TrimRight(line, "\r\n"), ","))
}

// ParseUCIRecord parses the 18 fields of one row.
func ParseUCIRecord(rec []string) (UCIRow, error) {
	var r UCIRow
	if len(rec) != len(UCIHeader) {
		return r, fmt.Errorf("predict: uci row has %d fields, want %d", len(rec), len(UCIHeader))
	}
	var err error
	count := func(i int) int {
		s := strings.TrimSpace(rec[i])
		if s == "" || err != nil {
			return 0
		}
		n, e := strconv.Atoi(s)
		if e != nil || n < 0 || n > 1e6 {
			err = fmt.Errorf("predict: uci %s: bad count %q", UCIHeader[i], s)
		}
		return n
	}
	number := func(i int, lo, hi float64) float64 {
		s := strings.TrimSpace(rec[i])
		if s == "" || err != nil {
			return 0
		}
		f, e := strconv.ParseFloat(s, 64)
		if e != nil || math.IsNaN(f) || f < lo || f > hi {
			err = fmt.Errorf("predict: uci %s: bad number %q", UCIHeader[i], s)
			return 0
		}
		return f
	}
	duration := func(i int) float64 {
		d := number(i, -1, 1e7)
		if d < 0 { // -1 marks an unknown duration
			return 0
		}
		return d
	}
	code := func(i int) int {
		n, e := strconv.Atoi(strings.TrimSpace(rec[i]))
		if err == nil && (e != nil || n < 0 || n > 1000) {
			err = fmt.Errorf("predict: uci %s: bad code %q", UCIHeader[i], rec[i])
		}
		return n
	}
	boolean := func(i int) bool {
		switch strings.ToUpper(strings.TrimSpace(rec[i])) {
		case "TRUE":
			return true
		case "FALSE":
			return false
		}
		if err == nil {
			err = fmt.Errorf("predict: uci %s: bad boolean %q", UCIHeader[i], rec[i])
		}
		return false
	}
	r.Administrative = count(0)
	r.AdministrativeDuration = duration(1)
	r.Informational = count(2)
	r.InformationalDuration = duration(3)
	r.ProductRelated = count(4)
	r.ProductRelatedDuration = duration(5)
	r.BounceRates = number(6, 0, 1)
	r.ExitRates = number(7, 0, 1)
	r.PageValues = number(8, 0, 1e6)
	r.SpecialDay = number(9, 0, 1)
	m := strings.TrimSpace(rec[10])
	for i := 1; i < len(uciMonths); i++ {
		if strings.EqualFold(m, uciMonths[i]) || strings.EqualFold(m, time.Month(i).String()) ||
			strings.EqualFold(m, time.Month(i).String()[:3]) {
			r.Month = time.Month(i)
		}
	}
	if r.Month == 0 && err == nil {
		err = fmt.Errorf("predict: uci Month: bad month %q", m)
	}
	r.OperatingSystems = code(11)
	r.Browser = code(12)
	r.Region = code(13)
	r.TrafficType = code(14)
	r.VisitorType = strings.TrimSpace(rec[15])
	switch r.VisitorType {
	case "Returning_Visitor", "New_Visitor", "Other":
	default:
		if err == nil {
			err = fmt.Errorf("predict: uci VisitorType: bad value %q", r.VisitorType)
		}
	}
	r.Weekend = boolean(16)
	r.Revenue = boolean(17)
	return r, err
}

// FormatUCIRow writes a row as a data line (normalized values).
func FormatUCIRow(r UCIRow) string {
	g := func(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
	b := func(v bool) string {
		if v {
			return "TRUE"
		}
		return "FALSE"
	}
	return strings.Join([]string{
		strconv.Itoa(r.Administrative), g(r.AdministrativeDuration), strconv.Itoa(r.Informational),
		g(r.InformationalDuration), strconv.Itoa(r.ProductRelated), g(r.ProductRelatedDuration),
		g(r.BounceRates), g(r.ExitRates), g(r.PageValues), g(r.SpecialDay), uciMonths[r.Month],
		strconv.Itoa(r.OperatingSystems), strconv.Itoa(r.Browser), strconv.Itoa(r.Region),
		strconv.Itoa(r.TrafficType), r.VisitorType, b(r.Weekend), b(r.Revenue)}, ",")
}

// ReadUCI reads the whole data file, header included.
func ReadUCI(rd io.Reader) ([]UCIRow, error) {
	cr := csv.NewReader(rd)
	cr.FieldsPerRecord = len(UCIHeader)
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("predict: uci header: %w", err)
	}
	for i, h := range UCIHeader {
		if strings.TrimPrefix(head[i], "\ufeff") != h {
			return nil, fmt.Errorf("predict: uci header: column %d is %q, want %q", i+1, head[i], h)
		}
	}
	var rows []UCIRow
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			return nil, fmt.Errorf("predict: uci: %w", err)
		}
		r, err := ParseUCIRecord(rec)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		rows = append(rows, r)
	}
}

// Journey is the history and the events of one session, in time order.
type Journey struct {
	History History
	Events  []FeatureEvent
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
	kind := VisitorOther
	switch r.VisitorType {
	case "Returning_Visitor":
		kind = VisitorReturning
	case "New_Visitor":
		kind = VisitorNew
	}
	j := Journey{History: History{Kind: kind, Location: time.UTC}}
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
			j.Events = append(j.Events, FeatureEvent{Type: presage.EventPageview,
				Path: "/" + uciPageTypes[k] + "/" + strconv.Itoa(i+1), OccurredAt: t,
				Attributes: metrics(len(j.Events) == 0), Context: ctx})
			t = t.Add(time.Duration(d))
			lastShare = d
		}
	}
	switch {
	case len(j.Events) == 0:
		j.Events = append(j.Events, FeatureEvent{Type: presage.EventScroll, OccurredAt: t,
			Attributes: metrics(true), Context: ctx})
	case lastShare > 0:
		j.Events = append(j.Events, FeatureEvent{Type: presage.EventScroll, OccurredAt: t,
			Attributes: map[string]any{"percent": 100.0}, Context: ctx})
	}
	return j
}

// UCIRowFromJourney rebuilds the row of a journey made by UCIRow.Journey
// (Revenue, the label, is not in the journey and is left false).
func UCIRowFromJourney(j Journey) (UCIRow, error) {
	var r UCIRow
	if len(j.Events) == 0 {
		return r, errors.New("predict: empty journey")
	}
	switch j.History.Kind {
	case VisitorReturning:
		r.VisitorType = "Returning_Visitor"
	case VisitorNew:
		r.VisitorType = "New_Visitor"
	default:
		r.VisitorType = "Other"
	}
	start := j.Events[0].OccurredAt
	r.Month = start.Month()
	r.Weekend = start.Weekday() == time.Saturday || start.Weekday() == time.Sunday
	ctx := j.Events[0].Context
	if _, err := fmt.Sscanf(ctx.Browser, "browser-%d", &r.Browser); err != nil {
		return r, fmt.Errorf("predict: browser %q: %w", ctx.Browser, err)
	}
	if _, err := fmt.Sscanf(ctx.OS, "os-%d", &r.OperatingSystems); err != nil {
		return r, fmt.Errorf("predict: os %q: %w", ctx.OS, err)
	}
	a := j.Events[0].Attributes
	num := func(k string) float64 { v, _, _ := attrValue(a[k]); return v }
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
			if PageType(PathTemplate(e.Path)) == pt {
				cur = k
			}
		}
		if cur < 0 {
			return r, fmt.Errorf("predict: unknown page %q", e.Path)
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
func UCIFeatureConfig(withPageValues bool) FeatureConfig {
	cfg := DefaultFeatureConfig()
	cfg.Attrs = []AttrSpec{
		{Name: AttrBounceRate, Edges: []float64{0, 0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.19}, Mean: true, Cross: true},
		{Name: AttrExitRate, Edges: []float64{0.01, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.07, 0.1, 0.15, 0.199}, Mean: true, Cross: true},
		{Name: AttrSpecialDay, Edges: []float64{0, 0.2, 0.4, 0.6, 0.8}},
		{Name: AttrRegion},
		{Name: AttrTrafficType, Cross: true},
	}
	if withPageValues {
		// Page value gates the model: sessions that reached a page which
		// preceded purchases (value > 0) get their own weights.
		cfg.Attrs = append(cfg.Attrs, AttrSpec{Name: AttrPageValue,
			Edges: []float64{0, 2, 5, 8, 12, 16, 20, 25, 30, 40, 55, 75, 100, 150}, Mean: true, Cross: true, Gate: true})
	}
	// With three page types whose counts are features of their own, their
	// view buckets in the crosses only add noise (measured: docs/prediction.md).
	cfg.CrossPageTypes = false
	return cfg
}

// JourneyFeatures feeds a journey to a fresh session and returns the
// features at its last event: the same code the server runs per event.
func JourneyFeatures(cfg *FeatureConfig, j Journey, dst []Feature) []Feature {
	s := NewSessionFeatures(cfg, j.History)
	for _, e := range j.Events {
		s.Add(e)
	}
	return s.Features(j.Events[len(j.Events)-1].OccurredAt, dst)
}
