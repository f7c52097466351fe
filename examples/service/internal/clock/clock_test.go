package clock

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var fixed = time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)

func TestIn(t *testing.T) {
	for _, c := range []struct{ zone, want string }{
		{"UTC", "2026-12-07T12:00:00Z"},
		{"America/New_York", "2026-12-07T07:00:00-05:00"},
		{"Asia/Shanghai", "2026-12-07T20:00:00+08:00"},
	} {
		t.Run(c.zone, func(t *testing.T) {
			got, err := In(fixed, c.zone)
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Errorf("In(%s) = %s, want %s", c.zone, got, c.want)
			}
		})
	}
}

func TestServerOnLoopback(t *testing.T) {
	journal := filepath.Join(t.TempDir(), "journal")
	handler, err := NewHandler(journal)
	if err != nil {
		t.Fatal(err)
	}
	handler.now = func() time.Time { return fixed }
	server := httptest.NewServer(handler)
	defer server.Close()

	response, err := http.Get(server.URL + "/time?zone=Europe/Zurich")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(response.Body)
	response.Body.Close()
	if got := strings.TrimSpace(string(body)); got != "2026-12-07T13:00:00+01:00" {
		t.Errorf("GET /time = %q", got)
	}
	written, err := os.ReadFile(journal)
	if err != nil {
		t.Fatal(err)
	}
	if string(written) != "Europe/Zurich\n" {
		t.Errorf("journal holds %q", written)
	}
}

func TestUnknownZone(t *testing.T) {
	handler, err := NewHandler(filepath.Join(t.TempDir(), "journal"))
	if err != nil {
		t.Fatal(err)
	}
	recorder := httptest.NewRecorder()
	handler.ServeHTTP(recorder, httptest.NewRequest(http.MethodGet, "/time?zone=Nowhere/Atlantis", nil))
	if recorder.Code != http.StatusBadRequest {
		t.Errorf("status %d, want 400", recorder.Code)
	}
}

// TestHelperProcess is not a test: it is the helper TestJournalFromAnotherProcess runs (os/exec of the test
// binary itself, the pattern the standard library's own tests use).
func TestHelperProcess(t *testing.T) {
	if os.Getenv("CLOCK_HELPER") != "1" {
		return
	}
	handler, err := NewHandler(os.Getenv("CLOCK_JOURNAL"))
	if err != nil {
		os.Exit(2)
	}
	handler.now = func() time.Time { return fixed }
	handler.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/time?zone=UTC", nil))
	os.Exit(0)
}

func TestJournalFromAnotherProcess(t *testing.T) {
	journal := filepath.Join(t.TempDir(), "journal")
	command := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	command.Env = append(os.Environ(), "CLOCK_HELPER=1", "CLOCK_JOURNAL="+journal)
	if output, err := command.CombinedOutput(); err != nil {
		t.Fatalf("helper process: %v\n%s", err, output)
	}
	written, err := os.ReadFile(journal)
	if err != nil {
		t.Fatal(err)
	}
	if string(written) != "UTC\n" {
		t.Errorf("journal holds %q", written)
	}
}
