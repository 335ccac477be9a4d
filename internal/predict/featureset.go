package predict

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/presage-dev/presage/internal/presage"
)

// FeatureSettings is an organization's choice of prediction features, as
// the API shows it and the store keeps it, one version after another. Every
// outcome model of the organization uses the same features; a new version
// starts every model again from stored history (the trainer sees a
// checkpoint of an older FeatureVersion).
type FeatureSettings struct {
	Version    int64              `json:"version"`
	Attributes []AttributeFeature `json:"attributes"`
	PageGroups []PageGroup        `json:"pageGroups"`
	Use        FeatureUse         `json:"use"`
	UpdatedAt  time.Time          `json:"updatedAt"`
}

// AttributeFeature makes an event attribute a feature: the latest value a
// session's events carried, or their mean.
type AttributeFeature struct {
	Name string `json:"name"`
	// Kind is "categorical" (each value its own feature) or "numeric"
	// (binned by Bins).
	Kind string `json:"kind"`
	// Bins are a numeric attribute's ascending bin edges: bin i holds
	// values v with Bins[i-1] < v <= Bins[i].
	Bins []float64 `json:"bins,omitempty"`
	// Aggregate is "latest" (default) or "mean" (numeric only).
	Aggregate string `json:"aggregate,omitempty"`
}

// PageGroup names the pages whose path matches Pattern: "/product/**" puts
// every path under /product/ in the group "product". Segments match
// literally (ignoring case), "*" matches one segment and "**" any number,
// none included. The first matching group wins; a path no group matches
// gets its first segment as its page type, as without groups.
type PageGroup struct {
	Pattern string `json:"pattern"`
	Group   string `json:"group"`
}

// FeatureUse says which families of features the models use.
type FeatureUse struct {
	VisitorHistory bool `json:"visitorHistory"` // new or returning, past sessions, last visit, past outcomes
	ReferrerClass  bool `json:"referrerClass"`  // search, social, email, direct…
	UTM            bool `json:"utm"`            // utm_source, utm_medium, utm_campaign
	Device         bool `json:"device"`         // device category, browser, OS
	TimeOfDay      bool `json:"timeOfDay"`      // hour, weekday, month, weekend, in the visitor's time zone
}

// Limits of feature settings.
const (
	MaxFeatureAttributes = 16
	MaxPageGroups        = 32
	maxBins              = 32
	maxPatternLen        = 200
)

// DefaultFeatureSettings are the features of an organization that chose
// none (version 0): every family, no attributes, no page groups.
func DefaultFeatureSettings() FeatureSettings {
	return FeatureSettings{Attributes: []AttributeFeature{}, PageGroups: []PageGroup{},
		Use: FeatureUse{VisitorHistory: true, ReferrerClass: true, UTM: true, Device: true, TimeOfDay: true}}
}

// Config returns the feature configuration the settings describe.
func (fs FeatureSettings) Config() FeatureConfig {
	cfg := DefaultFeatureConfig()
	cfg.Version = fs.Version
	for _, a := range fs.Attributes {
		spec := AttrSpec{Name: a.Name}
		if a.Kind == "numeric" {
			spec.Edges, spec.Mean = slices.Clone(a.Bins), a.Aggregate == "mean"
		}
		cfg.Attrs = append(cfg.Attrs, spec)
	}
	for _, g := range fs.PageGroups {
		cfg.PageGroups = append(cfg.PageGroups, compilePageGroup(g))
	}
	cfg.Omit = FeatureOmissions{History: !fs.Use.VisitorHistory, Referrer: !fs.Use.ReferrerClass, UTM: !fs.Use.UTM,
		Device: !fs.Use.Device, TimeOfDay: !fs.Use.TimeOfDay}
	return cfg
}

// StoredFeatureSettings decodes settings a store kept (the JSON of a
// FeatureSettings it was given, validated then) over the defaults, so a
// family a stored document lacks stays in use.
func StoredFeatureSettings(doc []byte) (FeatureSettings, error) {
	fs := DefaultFeatureSettings()
	if err := json.Unmarshal(doc, &fs); err != nil {
		return FeatureSettings{}, fmt.Errorf("decode stored feature settings: %w", err)
	}
	return fs, nil
}

var groupName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)

// DecodeFeatureSettings strictly decodes and validates the settings a
// caller sends: unknown fields, wrong types and invalid values are
// CodeInvalid errors naming the field (a JSON pointer). "use" may leave
// families out: they stay in use.
func DecodeFeatureSettings(data []byte) (FeatureSettings, error) {
	fs := DefaultFeatureSettings()
	switch {
	case len(bytes.TrimSpace(data)) == 0:
		return fs, presage.Invalid("", -1, "the body is empty")
	case !utf8.Valid(data):
		return fs, presage.Invalid("", -1, "the body must be UTF-8")
	}
	var in struct {
		Attributes *[]AttributeFeature `json:"attributes"`
		PageGroups *[]PageGroup        `json:"pageGroups"`
		Use        *json.RawMessage    `json:"use"`
		Version    json.RawMessage     `json:"version"`
		UpdatedAt  json.RawMessage     `json:"updatedAt"`
	}
	if err := strictJSON(data, &in); err != nil {
		return fs, err
	}
	if in.Version != nil || in.UpdatedAt != nil {
		field := "/version"
		if in.Version == nil {
			field = "/updatedAt"
		}
		return fs, presage.Invalid(field, -1, "%s is read-only: leave it out", strings.TrimPrefix(field, "/"))
	}
	if in.Attributes != nil {
		fs.Attributes = *in.Attributes
	}
	if in.PageGroups != nil {
		fs.PageGroups = *in.PageGroups
	}
	if in.Use != nil {
		if err := strictJSON(*in.Use, &fs.Use); err != nil {
			return fs, prefixField(err, "/use")
		}
	}
	return fs, validateFeatureSettings(&fs)
}

func validateFeatureSettings(fs *FeatureSettings) error {
	var errs []presage.Violation
	bad := func(field, format string, args ...any) {
		errs = append(errs, presage.Violation{Field: field, Index: -1, Detail: fmt.Sprintf(format, args...)})
	}
	if len(fs.Attributes) > MaxFeatureAttributes {
		bad("/attributes", "at most %d attributes", MaxFeatureAttributes)
	}
	seen := map[string]bool{}
	for i := range fs.Attributes {
		a := &fs.Attributes[i]
		at := fmt.Sprintf("/attributes/%d", i)
		switch {
		case a.Name == "" || len(a.Name) > 64:
			bad(at+"/name", "name must be 1 to 64 bytes")
		case seen[a.Name]:
			bad(at+"/name", "attribute %q is selected twice", a.Name)
		}
		seen[a.Name] = true
		if a.Aggregate == "" {
			a.Aggregate = "latest"
		}
		switch a.Kind {
		case "categorical":
			if len(a.Bins) > 0 {
				bad(at+"/bins", "bins apply to numeric attributes only")
			}
			if a.Aggregate != "latest" {
				bad(at+"/aggregate", "a categorical attribute takes its latest value")
			}
		case "numeric":
			switch {
			case len(a.Bins) == 0 || len(a.Bins) > maxBins:
				bad(at+"/bins", "a numeric attribute needs 1 to %d bin edges", maxBins)
			case !slices.IsSorted(a.Bins) || len(slices.Compact(slices.Clone(a.Bins))) != len(a.Bins):
				bad(at+"/bins", "bin edges must be strictly ascending")
			}
			if a.Aggregate != "latest" && a.Aggregate != "mean" {
				bad(at+"/aggregate", `aggregate must be "latest" or "mean"`)
			}
		default:
			bad(at+"/kind", `kind must be "categorical" or "numeric"`)
		}
	}
	if len(fs.PageGroups) > MaxPageGroups {
		bad("/pageGroups", "at most %d page groups", MaxPageGroups)
	}
	for i, g := range fs.PageGroups {
		at := fmt.Sprintf("/pageGroups/%d", i)
		if msg := patternProblem(g.Pattern); msg != "" {
			bad(at+"/pattern", "%s", msg)
		}
		if !groupName.MatchString(g.Group) {
			bad(at+"/group", "group must be 1 to 32 of a-z, 0-9, '_' and '-', starting with a letter or digit")
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return &presage.Error{Code: presage.CodeInvalid, Message: errs[0].Field + ": " + errs[0].Detail, Violations: errs}
}

// patternProblem explains what is wrong with a page group pattern, or
// returns "".
func patternProblem(p string) string {
	switch {
	case p == "" || p[0] != '/':
		return `pattern must start with "/"`
	case len(p) > maxPatternLen:
		return fmt.Sprintf("pattern must be at most %d bytes", maxPatternLen)
	case strings.ContainsAny(p, "?#"):
		return "pattern matches paths: leave out the query and fragment"
	}
	for _, seg := range strings.Split(strings.Trim(p, "/"), "/") {
		if seg != "*" && seg != "**" && strings.Contains(seg, "*") {
			return `"*" and "**" must be whole segments`
		}
	}
	return ""
}

// strictJSON decodes data into v refusing unknown fields and trailing
// data, with errors that name the field.
func strictJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("unexpected data after the JSON value")
	}
	if err == nil {
		return nil
	}
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return presage.Invalid("", -1, "malformed JSON at byte %d", syntax.Offset)
	case errors.As(err, &typ):
		field := "/" + strings.ReplaceAll(typ.Field, ".", "/")
		return presage.Invalid(field, -1, "%s must be %s", strings.TrimPrefix(field, "/"), jsonKind(typ.Type.Kind().String()))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return presage.Invalid("/"+name, -1, "unknown field %q", name)
	}
	return presage.Invalid("", -1, "%s", strings.TrimPrefix(err.Error(), "json: "))
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice":
		return "an array"
	case "struct", "map":
		return "an object"
	default:
		return "a number"
	}
}

// prefixField puts at in front of the fields an error names.
func prefixField(err error, at string) error {
	var e *presage.Error
	if !errors.As(err, &e) {
		return err
	}
	out := *e
	out.Violations = slices.Clone(e.Violations)
	for i := range out.Violations {
		out.Violations[i].Field = at + out.Violations[i].Field
	}
	return &out
}
