package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/presage-dev/presage/internal/privacy"
)

// GetPrivacySettings returns orgID's privacy settings; an organization that
// never saved them has privacy.DefaultRetention.
func (db *DB) GetPrivacySettings(ctx context.Context, orgID string) (privacy.Settings, error) {
	s := privacy.Settings{OrgID: orgID}
	var updated int64
	err := db.read.QueryRowContext(ctx, `SELECT sessions_days, visitors_days, customers_days, exports_days, updated_at
		FROM privacy_settings WHERE org_id = ?`, orgID).
		Scan(&s.Retention.SessionsDays, &s.Retention.VisitorsDays, &s.Retention.CustomersDays,
			&s.Retention.ExportsDays, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return privacy.Settings{OrgID: orgID, Retention: privacy.DefaultRetention}, nil
	}
	if err != nil {
		return privacy.Settings{}, fmt.Errorf("get privacy settings: %w", err)
	}
	s.UpdatedAt = fromMS(updated)
	return s, nil
}

// PutPrivacySettings inserts or replaces the settings of s.OrgID.
func (db *DB) PutPrivacySettings(ctx context.Context, s privacy.Settings) error {
	r := s.Retention
	_, err := db.write.ExecContext(ctx, `INSERT INTO privacy_settings
			(org_id, sessions_days, visitors_days, customers_days, exports_days, updated_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (org_id) DO UPDATE SET sessions_days = excluded.sessions_days,
			visitors_days = excluded.visitors_days, customers_days = excluded.customers_days,
			exports_days = excluded.exports_days, updated_at = excluded.updated_at`,
		s.OrgID, r.SessionsDays, r.VisitorsDays, r.CustomersDays, r.ExportsDays, unixMilli(s.UpdatedAt))
	if err != nil {
		return fmt.Errorf("put privacy settings: %w", err)
	}
	return nil
}

// OrganizationIDs lists the id of every organization, sorted.
func (db *DB) OrganizationIDs(ctx context.Context) ([]string, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id FROM organizations ORDER BY id`)
	out, err := scanAll(rows, err, func(s scanner) (string, error) {
		var id string
		err := s.Scan(&id)
		return id, err
	})
	if err != nil {
		return nil, fmt.Errorf("organization ids: %w", err)
	}
	return out, nil
}
