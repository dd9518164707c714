package main

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/sessionkit/session/manager"
)

// countersPage is the data of instance.html: what this instance's manager
// counted since it started, as an operator's dashboard would show it.
type countersPage struct {
	Since   string
	Rows    []counterRow
	Ended   []counterRow // sessions ended, by cause
	Errors  uint64       // failed store calls, every operation
	Timed   bool         // the store's calls are timed (not the memory store)
	Average string       // mean store call, when timed
}

// counterRow is one counter of instance.html.
type counterRow struct {
	Name  string
	Value uint64
}

// instancePage shows this instance's counters to a logged-in user.
func (a *app) instancePage(c *gin.Context) {
	if _, ok := currentUser(c); !ok {
		c.Redirect(http.StatusSeeOther, "/")
		return
	}
	a.render(c, http.StatusOK, "instance.html", "This instance", countersOf(a.m.Metrics(), a.started))
}

// countersOf lays m out for instance.html.
func countersOf(m manager.Metrics, started time.Time) countersPage {
	d := m.Destroyed
	p := countersPage{
		Since: formatTime(started),
		Rows: []counterRow{
			{"Sessions created", m.Created},
			{"Sessions renewed", m.Renewed},
			{"Creations refused (store full)", m.Refused},
			{"Logouts that failed", m.FailedInvalidations},
			{"Sweeps", m.Sweep.Duration.Count},
			{"Expired sessions swept", m.Sweep.Claimed},
		},
		Ended: []counterRow{
			{"Logout", d.Logout}, {"Idle timeout", d.Idle}, {"Absolute timeout", d.Absolute},
			{"Expired (cause unknown)", d.Expired}, {"Replaced", d.Replaced}, {"Per-user cap", d.UserCap},
		},
	}
	s := m.Store
	var calls uint64
	var spent time.Duration
	for _, op := range []manager.StoreOpMetrics{
		s.Create, s.Load, s.Update, s.Delete, s.Renew, s.Count, s.Sweep,
		s.SetUser, s.SetExpires, s.UserSessions, s.DeleteUserSession,
	} {
		p.Errors += op.Errors
		calls += op.Latency.Count
		spent += op.Latency.Sum
	}
	if calls > 0 {
		p.Timed = true
		p.Average = (spent / time.Duration(calls)).Round(time.Microsecond).String()
	}
	return p
}
