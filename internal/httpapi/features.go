package httpapi

import (
	"net/http"

	"github.com/presage-dev/presage/internal/predict"
)

// featuresView is an organization's feature settings (docs/prediction.md).
type featuresView struct {
	Version    int64                      `json:"version"`
	Attributes []predict.AttributeFeature `json:"attributes"`
	PageGroups []predict.PageGroup        `json:"pageGroups"`
	Use        predict.FeatureUse         `json:"use"`
	UpdatedAt  apiTime                    `json:"updatedAt"`
}

func featuresOf(fs predict.FeatureSettings) featuresView {
	v := featuresView{Version: fs.Version, Attributes: fs.Attributes, PageGroups: fs.PageGroups, Use: fs.Use,
		UpdatedAt: apiTime(fs.UpdatedAt)}
	if v.Attributes == nil {
		v.Attributes = []predict.AttributeFeature{}
	}
	if v.PageGroups == nil {
		v.PageGroups = []predict.PageGroup{}
	}
	return v
}

func (s *Server) getFeatures(w http.ResponseWriter, r *http.Request) {
	fs, err := s.Features.Get(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, featuresOf(fs))
}

// putFeatures replaces the feature settings with a new version: every
// outcome model of the organization starts again from stored history.
func (s *Server) putFeatures(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(w, r, maxAPIBody)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	fs, err := s.Features.Set(r.Context(), body)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, featuresOf(fs))
}
