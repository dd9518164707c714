package main

import (
	"bytes"
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"
)

// templateFiles and staticFiles hold the pages, the style sheet, the feed's
// script and the icon inside the binary, so the example runs from any
// working directory.
//
//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// pages maps a page's file name to its template, each parsed together with
// the shared layout. They are parsed once, at startup: a broken template
// stops the program before it serves anything.
var pages = parsePages("login.html", "private.html", "sessions.html", "events.html", "instance.html", "error.html")

// parsePages parses each named page over its own copy of the layout, since
// every page defines the same "content" block.
func parsePages(names ...string) map[string]*template.Template {
	layout := template.Must(template.ParseFS(templateFiles, "templates/layout.html"))
	parsed := make(map[string]*template.Template, len(names))
	for _, name := range names {
		t := template.Must(layout.Clone())
		parsed[name] = template.Must(t.ParseFS(templateFiles, "templates/"+name))
	}
	return parsed
}

// page is what the layout shows around every page's own content.
type page struct {
	Title    string
	Instance string     // the instance that answered
	User     string     // the logged-in user; "" for none
	Live     *liveCount // nil: not shown
	Body     any        // the page's own data
}

// loginPage is the data of login.html.
type loginPage struct {
	Name     string // what was typed, shown again after a mistake
	Remember bool
	Problem  string // why the login was refused; "" when it was not
}

// privatePage is the data of private.html.
type privatePage struct {
	MaskedID   string // safe to show; the real ID never reaches the page
	Created    string
	LastAccess string
	Remembered bool // kept by "Keep me logged in"
	Days       int  // for how long
}

// sessionsPage is the data of sessions.html.
type sessionsPage struct {
	Sessions []sessionRow
	Others   int    // sessions besides this one
	Ended    string // what the last action ended; "" for nothing
}

// sessionRow is one line of sessions.html.
type sessionRow struct {
	MaskedID   string
	Created    string
	LastAccess string
	Current    bool
}

// errorPage is the data of error.html.
type errorPage struct {
	Code    int
	Message string
}

// render writes the named page with the given status. Pages that show who
// is logged in must not be kept by any cache, so that Back after logout
// does not show them again: every page is sent with no-store.
func (a *app) render(c *gin.Context, code int, name, title string, body any) {
	user, _ := currentUser(c)
	live := a.liveSessions(c.Request.Context())
	c.Header("Cache-Control", "no-store")
	writePage(c.Writer, code, name, page{
		Title:    title,
		Instance: a.instance,
		User:     user,
		Live:     &live,
		Body:     body,
	})
}

// writePage renders into a buffer first, so that a template error gives a
// clean 500 rather than half a page.
func writePage(w http.ResponseWriter, code int, name string, p page) {
	var buf bytes.Buffer
	if err := pages[name].ExecuteTemplate(&buf, "layout", p); err != nil {
		slog.Error("rendering page failed", "page", name, "err", err)
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	_, _ = w.Write(buf.Bytes())
}

// staticFile serves one embedded file. Browsers may keep it for an hour.
func staticFile(name, contentType string) gin.HandlerFunc {
	data, err := fs.ReadFile(staticFiles, "static/"+name)
	if err != nil {
		panic(err) // a file missing from the binary is a build mistake
	}
	return func(c *gin.Context) {
		c.Header("Cache-Control", "public, max-age=3600")
		c.Data(http.StatusOK, contentType, data)
	}
}
