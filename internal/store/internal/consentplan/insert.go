package consentplan

import (
	"fmt"

	"github.com/presage-dev/presage/internal/consent"
)

// CheckNotice checks a notice the caller numbered before it is inserted.
func CheckNotice(n consent.Notice) error {
	if n.OrgID == "" || n.Version < 1 {
		return fmt.Errorf("notice of organization %q numbered %d: want an organization and a version from 1", n.OrgID, n.Version)
	}
	return nil
}
