package privacy

import (
	"context"
	"fmt"
)

// rectify applies every replacement in every holder. Replacing a value
// that is no longer there changes nothing, so a resumed job redoes it all.
func (j *job) rectify(ctx context.Context, sub Subject) error {
	if err := j.status(ctx, StatusUpdating); err != nil {
		return err
	}
	r := j.request()
	total := Counts{}
	for _, rep := range r.Replacements {
		for _, h := range j.s.opt.Holders {
			c, err := h.Rectify(ctx, sub, rep)
			if err != nil {
				return fmt.Errorf("rectify %s in %s: %w", rep.Type, h.Name(), err)
			}
			total.Add(c)
		}
	}
	if err := j.step(ctx, "rectified", 90, total); err != nil {
		return err
	}
	return j.complete(ctx, Result{Counts: j.request().Progress.Done})
}
