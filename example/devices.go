package main

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/sessionkit/session"
	"github.com/sessionkit/session/manager"
)

// sessions lists the logged-in user's live sessions, on every instance
// sharing the store: one per browser or device they logged in from.
func (a *app) sessions(c *gin.Context) {
	user, ok := currentUser(c)
	if !ok {
		c.Redirect(http.StatusSeeOther, "/")
		return
	}
	list, err := session.UserSessions(c, user)
	if err != nil {
		session.HandleError(c, err)
		return
	}
	rows := make([]sessionRow, len(list))
	others := 0
	for i, us := range list {
		rows[i] = sessionRow{
			MaskedID:   us.MaskedID,
			Created:    formatTime(us.Created),
			LastAccess: formatTime(us.LastAccess),
			Current:    us.Current,
		}
		if !us.Current {
			others++
		}
	}
	a.render(c, http.StatusOK, "sessions.html", "Your sessions", sessionsPage{
		Sessions: rows,
		Others:   others,
		Ended:    endedNotice(c.Query("ended")),
	})
}

// endSession logs out one of the user's other sessions, named by the masked
// ID the list showed. The manager only ends a session of this user, whatever
// ID the form names.
func (a *app) endSession(c *gin.Context) {
	user, ok := currentUser(c)
	if !ok {
		c.Redirect(http.StatusSeeOther, "/")
		return
	}
	masked := c.PostForm("session")
	if masked == session.GetSession(c).GetMaskedSessionId() {
		// A stale list (from before a renewal elsewhere, say) may offer this
		// very session as another one: ending it is a logout.
		a.logout(c)
		return
	}
	ended := 1
	err := session.DestroyUserSession(c, user, masked)
	if errors.Is(err, manager.ErrSessionGone) {
		// Already ended (it expired, or another tab was quicker), or never
		// this user's: either way it is not live for them.
		ended, err = 0, nil
	}
	if err != nil {
		session.HandleError(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/sessions?ended="+strconv.Itoa(ended))
}

// endOtherSessions logs the user out everywhere but here.
func (a *app) endOtherSessions(c *gin.Context) {
	user, ok := currentUser(c)
	if !ok {
		c.Redirect(http.StatusSeeOther, "/")
		return
	}
	n, err := session.DestroyOtherSessions(c, user)
	if err != nil {
		session.HandleError(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/sessions?ended="+strconv.Itoa(n))
}

// endedNotice is the sentence the sessions page shows after sessions were
// ended; "" when the query names none.
func endedNotice(query string) string {
	n, err := strconv.Atoi(query)
	switch {
	case err != nil || n < 0:
		return ""
	case n == 0:
		return "No session was logged out: it had already ended."
	case n == 1:
		return "1 session was logged out."
	}
	return strconv.Itoa(n) + " sessions were logged out."
}

// events shows the live feed of this instance's session events.
func (a *app) events(c *gin.Context) {
	if _, ok := currentUser(c); !ok {
		c.Redirect(http.StatusSeeOther, "/")
		return
	}
	a.render(c, http.StatusOK, "events.html", "Live events", nil)
}

// eventStream streams this instance's session events to a logged-in user.
func (a *app) eventStream(c *gin.Context) {
	if _, ok := currentUser(c); !ok {
		c.String(http.StatusUnauthorized, "log in first")
		return
	}
	a.feed.serve(c)
}
