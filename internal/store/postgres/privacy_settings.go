package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/presage-dev/presage/internal/presage"
	"github.com/presage-dev/presage/internal/privacy"
)

// GetPrivacySettings returns orgID's privacy settings; an organization that
// never saved them has privacy.DefaultRetention.
func (db *DB) GetPrivacySettings(ctx context.Context, orgID string) (privacy.Settings, error) {
	s := privacy.Settings{OrgID: orgID}
	err := db.pool.queryRow(ctx, `SELECT sessions_days, visitors_days, customers_days, exports_days, updated_at
		FROM privacy_settings WHERE org_id = $1`, orgID).
		Scan(&s.Retention.SessionsDays, &s.Retention.VisitorsDays, &s.Retention.CustomersDays,
			&s.Retention.ExportsDays, &s.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return privacy.Settings{OrgID: orgID, Retention: privacy.DefaultRetention}, nil
	}
	if err != nil {
		return privacy.Settings{}, fmt.Errorf("get privacy settings: %w", err)
	}
	s.UpdatedAt = s.UpdatedAt.UTC()
	return s, nil
}

// PutPrivacySettings inserts or replaces the settings of s.OrgID.
func (db *DB) PutPrivacySettings(ctx context.Context, s privacy.Settings) error {
	r := s.Retention
	_, err := db.pool.exec(ctx, `INSERT INTO privacy_settings
			(org_id, sessions_days, visitors_days, customers_days, exports_days, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (org_id) DO UPDATE SET sessions_days = EXCLUDED.sessions_days,
			visitors_days = EXCLUDED.visitors_days, customers_days = EXCLUDED.customers_days,
			exports_days = EXCLUDED.exports_days, updated_at = EXCLUDED.updated_at`,
		s.OrgID, r.SessionsDays, r.VisitorsDays, r.CustomersDays, r.ExportsDays, presage.StoredTime(s.UpdatedAt))
	if err != nil {
		return fmt.Errorf("put privacy settings: %w", err)
	}
	return nil
}

// OrganizationIDs lists the id of every organization, sorted.
func (db *DB) OrganizationIDs(ctx context.Context) ([]string, error) {
	rows, err := db.pool.query(ctx, `SELECT id COLLATE "C" FROM organizations ORDER BY 1`)
	out, err := scanAll(rows, err, func(row pgx.Row) (string, error) {
		var id string
		err := row.Scan(&id)
		return id, err
	})
	if err != nil {
		return nil, fmt.Errorf("organization ids: %w", err)
	}
	return out, nil
}
