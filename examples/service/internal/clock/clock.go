// Package clock serves the time in a named zone and journals the zones it was asked for.
package clock

import (
	"fmt"
	"net/http"
	"os"
	"sync"
	"time"
)

// Handler answers /time?zone=NAME.
type Handler struct {
	mu      sync.Mutex
	journal *os.File
	now     func() time.Time
}

// NewHandler appends every zone asked for to the file at journalPath.
func NewHandler(journalPath string) (*Handler, error) {
	f, err := os.OpenFile(journalPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open journal: %w", err)
	}
	return &Handler{journal: f, now: time.Now}, nil
}

// In formats t in the named zone, as the handler answers.
func In(t time.Time, zone string) (string, error) {
	location, err := time.LoadLocation(zone)
	if err != nil {
		return "", err
	}
	return t.In(location).Format(time.RFC3339), nil
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/time" {
		http.NotFound(w, r)
		return
	}
	zone := r.URL.Query().Get("zone")
	answer, err := In(h.now(), zone)
	if err != nil {
		http.Error(w, "unknown zone "+zone, http.StatusBadRequest)
		return
	}
	h.mu.Lock()
	_, err = fmt.Fprintln(h.journal, zone)
	h.mu.Unlock()
	if err != nil {
		http.Error(w, "journal: "+err.Error(), http.StatusInternalServerError)
		return
	}
	fmt.Fprintln(w, answer)
}
