package eval

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// uciPath finds the data file: walking up from the package directory to a
// directory holding shared/data, else $PRESAGE_UCI_DATA.
func uciPath(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err == nil {
		for {
			p := filepath.Join(dir, "shared", "data", "online_shoppers_intention.csv")
			if _, err := os.Stat(p); err == nil {
				return p
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				break
			}
			dir = parent
		}
	}
	if p := os.Getenv("PRESAGE_UCI_DATA"); p != "" {
		return p
	}
	t.Skip("UCI data not found: no shared/data/online_shoppers_intention.csv above the package and PRESAGE_UCI_DATA unset")
	return ""
}

func readUCIFile(t testing.TB) []byte {
	b, err := os.ReadFile(uciPath(t))
	if err != nil {
		t.Fatalf("read UCI data: %v", err)
	}
	return b
}

func TestUCIRoundTripEveryRow(t *testing.T) {
	data := readUCIFile(t)
	rows, err := ReadUCI(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 12330 {
		t.Fatalf("%d rows, want 12330", len(rows))
	}
	lines := strings.Split(string(data), "\n")[1:]
	pos := 0
	for i, r := range rows {
		if r.Revenue {
			pos++
		}
		back, err := UCIRowFromJourney(r.Journey())
		if err != nil {
			t.Fatalf("row %d: %v", i+2, err)
		}
		back.Revenue = r.Revenue
		if back != r {
			t.Fatalf("row %d: rebuilt\n%+v\nwant\n%+v", i+2, back, r)
		}
		again, err := ParseUCIRow(FormatUCIRow(back))
		if err != nil || again != r {
			t.Fatalf("row %d: text round trip %+v, %v", i+2, again, err)
		}
		if direct, err := ParseUCIRow(lines[i]); err != nil || direct != r {
			t.Fatalf("row %d: ParseUCIRow disagrees with the CSV reader: %v", i+2, err)
		}
	}
	if pos != 1908 {
		t.Fatalf("%d purchases, want 1908", pos)
	}
}

func TestUCIQuirks(t *testing.T) {
	r, err := ParseUCIRow(",,,,,,,,0,0,Mar,2,2,2,1,Returning_Visitor,FALSE,FALSE")
	if err != nil || r.Administrative != 0 || r.ProductRelatedDuration != 0 {
		t.Fatalf("blank row: %+v, %v", r, err)
	}
	r, err = ParseUCIRow("0,-1,0,-1,1,-1,0.2,0.2,0,0,June,4,1,9,3,Other,TRUE,FALSE")
	if err != nil || r.AdministrativeDuration != 0 || r.Month != time.June || r.VisitorType != "Other" {
		t.Fatalf("-1 durations: %+v, %v", r, err)
	}
	for _, bad := range []string{"", "1,2,3", "x,0,0,0,1,0,0.2,0.2,0,0,Feb,1,1,1,1,Returning_Visitor,FALSE,FALSE",
		"0,0,0,0,1,0,0.2,0.2,0,0,Foo,1,1,1,1,Returning_Visitor,FALSE,FALSE",
		"0,0,0,0,1,0,0.2,0.2,0,0,Feb,1,1,1,1,Returning_Visitor,FALSE,maybe"} {
		if _, err := ParseUCIRow(bad); err == nil {
			t.Errorf("ParseUCIRow(%q) accepted", bad)
		}
	}
}

// TestUCILabelReachesNoFeature: the Revenue label of a UCI row, which the
// journey leaves out, changes none of its features.
func TestUCILabelReachesNoFeature(t *testing.T) {
	cfg := UCIFeatureConfig(true)
	row, err := ParseUCIRow("2,64,0,0,5,120.5,0.01,0.03,12.5,0,Nov,2,2,1,3,Returning_Visitor,FALSE,TRUE")
	if err != nil {
		t.Fatal(err)
	}
	neg := row
	neg.Revenue = false
	if !reflect.DeepEqual(JourneyFeatures(&cfg, row.Journey(), nil), JourneyFeatures(&cfg, neg.Journey(), nil)) {
		t.Fatal("the Revenue label changes the features")
	}
}

func FuzzParseUCIRow(f *testing.F) {
	f.Add("0,0,0,0,1,0,0.2,0.2,0,0,Feb,1,1,1,1,Returning_Visitor,FALSE,FALSE")
	f.Add(",,,,,,,,0,0,Mar,2,2,2,1,Returning_Visitor,FALSE,FALSE")
	f.Add("0,-1,0,-1,1,-1,0.2,0.2,0,0,June,4,1,9,3,Other,TRUE,TRUE")
	f.Add("3,142.5,1,14,40,1200.3333333,0.004,0.02,37.1,0.4,Nov,2,2,3,2,New_Visitor,TRUE,TRUE")
	f.Fuzz(func(t *testing.T, line string) {
		r, err := ParseUCIRow(line)
		if err != nil {
			return
		}
		again, err := ParseUCIRow(FormatUCIRow(r))
		if err != nil || again != r {
			t.Fatalf("format/parse round trip of %q: %+v, %v", line, again, err)
		}
		if r.ProductRelated+r.Administrative+r.Informational > 3000 {
			return // keep journeys small
		}
		back, err := UCIRowFromJourney(r.Journey())
		if err != nil {
			t.Fatalf("journey of %q: %v", line, err)
		}
		back.Revenue = r.Revenue
		if back.Administrative != r.Administrative || back.ProductRelated != r.ProductRelated || back.Month != r.Month {
			t.Fatalf("journey round trip of %q: %+v", line, back)
		}
		cfg := UCIFeatureConfig(true)
		for _, f := range JourneyFeatures(&cfg, r.Journey(), nil) {
			if math.IsNaN(float64(f.Value)) || math.IsInf(float64(f.Value), 0) {
				t.Fatalf("non-finite feature from %q", line)
			}
		}
	})
}
