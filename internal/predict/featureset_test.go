package predict

import (
	"slices"
	"testing"
	"time"

	"github.com/presage-dev/presage/internal/presage"
)

func TestDecodeFeatureSettingsNamesTheField(t *testing.T) {
	tests := []struct {
		name, body, field string
	}{
		{"empty", ``, ""},
		{"not JSON", `{"attributes": [`, ""},
		{"unknown field", `{"attribute": []}`, "/attribute"},
		{"read-only version", `{"version": 3}`, "/version"},
		{"attributes not an array", `{"attributes": {}}`, "/attributes"},
		{"kind missing", `{"attributes": [{"name": "plan"}]}`, "/attributes/0/kind"},
		{"kind unknown", `{"attributes": [{"name": "plan", "kind": "ordinal"}]}`, "/attributes/0/kind"},
		{"name empty", `{"attributes": [{"name": "", "kind": "categorical"}]}`, "/attributes/0/name"},
		{"name twice", `{"attributes": [{"name": "a", "kind": "categorical"}, {"name": "a", "kind": "categorical"}]}`, "/attributes/1/name"},
		{"numeric without bins", `{"attributes": [{"name": "price", "kind": "numeric"}]}`, "/attributes/0/bins"},
		{"bins not ascending", `{"attributes": [{"name": "price", "kind": "numeric", "bins": [10, 5]}]}`, "/attributes/0/bins"},
		{"bins on categorical", `{"attributes": [{"name": "plan", "kind": "categorical", "bins": [1]}]}`, "/attributes/0/bins"},
		{"aggregate unknown", `{"attributes": [{"name": "price", "kind": "numeric", "bins": [1], "aggregate": "sum"}]}`, "/attributes/0/aggregate"},
		{"pattern relative", `{"pageGroups": [{"pattern": "product/**", "group": "product"}]}`, "/pageGroups/0/pattern"},
		{"pattern with a query", `{"pageGroups": [{"pattern": "/p?x=1", "group": "p"}]}`, "/pageGroups/0/pattern"},
		{"partial wildcard", `{"pageGroups": [{"pattern": "/prod*", "group": "p"}]}`, "/pageGroups/0/pattern"},
		{"group name", `{"pageGroups": [{"pattern": "/p/**", "group": "Product Pages"}]}`, "/pageGroups/0/group"},
		{"use not boolean", `{"use": {"device": "yes"}}`, "/use/device"},
		{"use unknown family", `{"use": {"weather": true}}`, "/use/weather"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeFeatureSettings([]byte(tt.body))
			var pe *presage.Error
			if err == nil || presage.ErrorCode(err) != presage.CodeInvalid {
				t.Fatalf("err = %v, want an invalid-input error", err)
			}
			pe = err.(*presage.Error)
			if len(pe.Violations) == 0 || pe.Violations[0].Field != tt.field {
				t.Fatalf("violations %+v, want the first to name %q", pe.Violations, tt.field)
			}
		})
	}
}

func TestFeatureSettingsConfig(t *testing.T) {
	fs, err := DecodeFeatureSettings([]byte(`{"attributes": [{"name": "plan", "kind": "categorical"},
		{"name": "price", "kind": "numeric", "bins": [10, 50], "aggregate": "mean"}],
		"pageGroups": [{"pattern": "/product/**", "group": "product"}], "use": {"device": false}}`))
	if err != nil {
		t.Fatal(err)
	}
	if !fs.Use.VisitorHistory || !fs.Use.TimeOfDay || fs.Use.Device {
		t.Fatalf("use %+v: families left out of the document stay in use, device is off", fs.Use)
	}
	fs.Version = 4
	cfg := fs.Config()
	want := []AttrSpec{{Name: "plan"}, {Name: "price", Edges: []float64{10, 50}, Mean: true}}
	if cfg.Version != 4 || !cfg.Omit.Device || cfg.Omit.History || len(cfg.PageGroups) != 1 ||
		!slices.EqualFunc(cfg.Attrs, want, func(a, b AttrSpec) bool {
			return a.Name == b.Name && slices.Equal(a.Edges, b.Edges) && a.Mean == b.Mean
		}) {
		t.Fatalf("config %+v", cfg)
	}
	if def := DefaultFeatureSettings().Config(); def.Omit != (FeatureOmissions{}) || def.Version != 0 || len(def.Attrs) != 0 {
		t.Fatalf("default settings give %+v, want DefaultFeatureConfig", def)
	}
}

func TestPageGroupPatterns(t *testing.T) {
	tests := []struct {
		pattern, path string
		want          bool
	}{
		{"/product/**", "/product/42", true},
		{"/product/**", "/product/", true},
		{"/product/**", "/product", true},
		{"/product/**", "/products/42", false},
		{"/product/*", "/product/42", true},
		{"/product/*", "/product/42/reviews", false},
		{"/product/*/reviews", "/Product/42/Reviews", true},
		{"/**/checkout", "/eu/fr/checkout", true},
		{"/**/checkout", "/checkout", true},
		{"/**/checkout", "/checkout/done", false},
		{"/", "/", true},
		{"/", "/home", false},
		{"/**", "/anything/at/all", true},
	}
	for _, tt := range tests {
		g := compilePageGroup(PageGroup{Pattern: tt.pattern, Group: "g"})
		if got := g.matches(tt.path); got != tt.want {
			t.Errorf("%q matches %q = %v, want %v", tt.pattern, tt.path, got, tt.want)
		}
	}
}

// A page group gives matching pages their page type, and a family left
// out emits none of its features.
func TestFeatureSettingsChangeTheFeatures(t *testing.T) {
	at := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	ev := FeatureEvent{Type: presage.EventPageview, Path: "/shop/item-42", OccurredAt: at,
		Context: presage.Enrichment{Device: "mobile", Browser: "Safari", OS: "iOS", ReferrerClass: "search"}}
	features := func(fs FeatureSettings) map[uint32]bool {
		cfg := fs.Config()
		s := NewSessionFeatures(&cfg, History{Kind: VisitorReturning, PastSessions: 3})
		s.Add(ev)
		out := map[uint32]bool{}
		for _, f := range s.Features(at, nil) {
			out[f.Index] = true
		}
		return out
	}
	base := features(DefaultFeatureSettings())
	grouped := DefaultFeatureSettings()
	grouped.PageGroups = []PageGroup{{Pattern: "/shop/*", Group: "product"}}
	if g := features(grouped); len(g) != len(base) || sameSet(g, base) {
		t.Fatal("a page group left the features as they were")
	}
	noDevice := DefaultFeatureSettings()
	noDevice.Use.Device = false
	if nd := features(noDevice); len(nd) != len(base)-3 {
		t.Fatalf("without device: %d features, want %d (device, browser and OS gone)", len(nd), len(base)-3)
	}
}

func sameSet(a, b map[uint32]bool) bool {
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return len(a) == len(b)
}

// FuzzDecodeFeatureSettings: any body is settings or an invalid-input
// error, and settings it accepts decode again to the same configuration.
func FuzzDecodeFeatureSettings(f *testing.F) {
	for _, s := range []string{`{}`, `{"attributes": [{"name": "plan", "kind": "categorical"}]}`,
		`{"pageGroups": [{"pattern": "/p/**", "group": "p"}], "use": {"utm": false}}`, `{"attributes": 1}`, `[`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		fs, err := DecodeFeatureSettings(body)
		if err != nil {
			if presage.ErrorCode(err) != presage.CodeInvalid {
				t.Fatalf("error %v is not an invalid-input error", err)
			}
			return
		}
		_ = fs.Config()
	})
}
