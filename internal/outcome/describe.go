package outcome

import (
	"fmt"
	"strings"

	"github.com/presage-dev/presage/internal/presage"
)

var opSymbols = map[presage.AttrOp]string{presage.OpEq: "=", presage.OpNe: "!=", presage.OpGt: ">", presage.OpGte: ">=",
	presage.OpLt: "<", presage.OpLte: "<=", presage.OpContains: "contains"}

// Describe renders a condition for people, e.g. `custom event "purchase"
// where total >= 50`, `page view of /checkout/**` or `any form submitted`.
func Describe(c presage.Condition) string {
	switch c.Kind {
	case presage.ConditionEvent:
		s := fmt.Sprintf("custom event %q", c.EventName)
		for i, a := range c.Attributes {
			if i == 0 {
				s += " where "
			} else {
				s += " and "
			}
			if a.Op == presage.OpExists {
				s += a.Name + " exists"
				continue
			}
			s += a.Name + " " + opSymbols[a.Op] + " " + strings.TrimSpace(string(a.Value))
		}
		return s
	case presage.ConditionPage:
		return "page view of " + c.URLPattern
	case presage.ConditionForm:
		if c.FormName == "" {
			return "any form submitted"
		}
		return fmt.Sprintf("form %q submitted", c.FormName)
	}
	return string(c.Kind)
}
