package main

import (
	"bytes"
	"embed"
	"html/template"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"
)

// templateFiles holds the pages inside the binary, so the example runs from
// any working directory.
//
//go:embed templates/*.html
var templateFiles embed.FS

// pages maps a page's file name to its template, each parsed together with
// the shared layout. They are parsed once, at startup: a broken template
// stops the program before it serves anything.
var pages = parsePages("login.html", "private.html")

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

// loginPage is the data of login.html.
type loginPage struct {
	User     string // what was typed, shown again after a mistake
	Problem  string // why the login was refused; "" when it was not
	Sessions int    // live sessions
}

// privatePage is the data of private.html.
type privatePage struct {
	User       string
	MaskedID   string // safe to show; the real ID never reaches the page
	Created    string
	LastAccess string
	Sessions   int
}

// render writes the page with the given status. It renders into a buffer
// first, so that a template error gives a clean 500 rather than half a page.
func render(c *gin.Context, code int, name string, data any) {
	var buf bytes.Buffer
	if err := pages[name].ExecuteTemplate(&buf, "layout", data); err != nil {
		slog.Error("rendering page failed", "page", name, "err", err)
		c.AbortWithStatus(http.StatusInternalServerError)
		return
	}
	c.Data(code, "text/html; charset=utf-8", buf.Bytes())
}
