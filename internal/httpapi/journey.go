package httpapi

import (
	"net/http"
	"strconv"

	"github.com/presage-dev/presage/internal/journey"
	"github.com/presage-dev/presage/internal/presage"
)

const defaultLimit = 50

func pageParams(r *http.Request) (limit int, cursor string, err error) {
	q := r.URL.Query()
	limit = defaultLimit
	if v := q.Get("limit"); v != "" {
		n, convErr := strconv.Atoi(v)
		if convErr != nil {
			return 0, "", presage.Invalid("limit", -1, "limit must be an integer between 1 and %d", journey.MaxLimit)
		}
		limit = n
	}
	return limit, q.Get("cursor"), nil
}

func (s *Server) listCustomers(w http.ResponseWriter, r *http.Request) {
	limit, cursor, err := pageParams(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	l, err := s.Journeys.Customers(r.Context(), limit, cursor)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, listOf(l, customerOf))
}

func (s *Server) getCustomer(w http.ResponseWriter, r *http.Request) {
	c, err := s.Journeys.Customer(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	view := customerOf(c.Customer)
	view.Visitors = c.VisitorIDs
	writeJSON(w, http.StatusOK, view)
}

func (s *Server) listVisitors(w http.ResponseWriter, r *http.Request) {
	limit, cursor, err := pageParams(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	f := journey.VisitorFilter{CustomerID: r.URL.Query().Get("customerId")}
	l, err := s.Journeys.Visitors(r.Context(), f, limit, cursor)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, listOf(l, visitorOf))
}

func (s *Server) getVisitor(w http.ResponseWriter, r *http.Request) {
	v, err := s.Journeys.Visitor(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, visitorOf(v))
}

func (s *Server) listSessions(w http.ResponseWriter, r *http.Request) {
	limit, cursor, err := pageParams(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	q := r.URL.Query()
	f := journey.SessionFilter{VisitorID: q.Get("visitorId"), CustomerID: q.Get("customerId")}
	l, err := s.Journeys.Sessions(r.Context(), f, limit, cursor)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, listOf(l, sessionOf))
}

func (s *Server) getSession(w http.ResponseWriter, r *http.Request) {
	v, err := s.Journeys.Session(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, sessionOf(v))
}

func (s *Server) listEvents(w http.ResponseWriter, r *http.Request) {
	limit, cursor, err := pageParams(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	l, err := s.Journeys.Events(r.Context(), r.PathValue("id"), limit, cursor)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, listOf(l, eventOf))
}
