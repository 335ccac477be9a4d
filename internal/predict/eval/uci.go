package eval

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
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
		return r, fmt.Errorf("uci row has %d fields, want %d", len(rec), len(UCIHeader))
	}
	var err error
	count := func(i int) int {
		s := strings.TrimSpace(rec[i])
		if s == "" || err != nil {
			return 0
		}
		n, e := strconv.Atoi(s)
		if e != nil || n < 0 || n > 1e6 {
			err = fmt.Errorf("uci %s: bad count %q", UCIHeader[i], s)
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
			err = fmt.Errorf("uci %s: bad number %q", UCIHeader[i], s)
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
			err = fmt.Errorf("uci %s: bad code %q", UCIHeader[i], rec[i])
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
			err = fmt.Errorf("uci %s: bad boolean %q", UCIHeader[i], rec[i])
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
		err = fmt.Errorf("uci Month: bad month %q", m)
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
			err = fmt.Errorf("uci VisitorType: bad value %q", r.VisitorType)
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
		return nil, fmt.Errorf("uci header: %w", err)
	}
	for i, h := range UCIHeader {
		if strings.TrimPrefix(head[i], "\ufeff") != h {
			return nil, fmt.Errorf("uci header: column %d is %q, want %q", i+1, head[i], h)
		}
	}
	var rows []UCIRow
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			return nil, fmt.Errorf("uci: %w", err)
		}
		r, err := ParseUCIRecord(rec)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		rows = append(rows, r)
	}
}
