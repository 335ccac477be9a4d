package app

import (
	"context"
	"fmt"

	"github.com/presage-dev/presage/internal/outcome"
	"github.com/presage-dev/presage/internal/presage"
)

// demoOutcomes are what the demo shop wants its visitors to do: the events
// its pages record.
var demoOutcomes = []outcome.Definition{
	{Name: "purchase", Description: "The visitor places an order.", Direction: presage.Maximize,
		Condition: presage.Condition{Kind: presage.ConditionEvent, EventName: "order_placed"}},
	{Name: "add to cart", Description: "The visitor adds a product to the cart.", Direction: presage.Maximize,
		Condition: presage.Condition{Kind: presage.ConditionEvent, EventName: "product_added"}, ValueField: "price"},
}

// ensureDemoOutcomes gives the demo organization its outcomes once; an
// administrator's later changes stay.
func (a *App) ensureDemoOutcomes(ctx context.Context, orgID string) error {
	ctx = presage.AsOperator(ctx, orgID)
	existing, err := a.Outcomes.List(ctx)
	if err != nil {
		return fmt.Errorf("list demo outcomes: %w", err)
	}
	if len(existing) > 0 {
		return nil
	}
	for _, d := range demoOutcomes {
		if _, err := a.Outcomes.Create(ctx, d); err != nil && presage.ErrorCode(err) != presage.CodeConflict {
			return fmt.Errorf("create demo outcome %q: %w", d.Name, err)
		}
	}
	return nil
}
