package manager

import (
	"net/http"
	"time"

	"github.com/sessionkit/session/internal/seam"
)

// init gives the faces built on the manager (the root package's Gin
// middleware) what they need of it, through package seam rather than
// exported names.
func init() {
	seam.Install(seam.Hooks[*Manager, Session]{
		Begin: func(m *Manager, w http.ResponseWriter, r *http.Request, c seam.Carrier) (seam.Scope[*Manager, Session], error) {
			sc, err := m.begin(w, r, c)
			if err != nil {
				return nil, err // not a typed nil
			}
			return sc, nil
		},
		BeginGin: func(m *Manager, w seam.ResponseWriter, ginContext any, r *http.Request, c seam.Carrier) (seam.Scope[*Manager, Session], *seam.GinWriters, error) {
			sc, err := m.beginGin(w, ginContext, r, c)
			if err != nil {
				return nil, nil, err // not a typed nil
			}
			return sc, &sc.gin, nil
		},
		Cookie: func(m *Manager) seam.Cookie {
			return seam.Cookie{
				Template: *m.opts.cookie("", 0),
				Lifetime: m.opts.MaxAge,
				Longest:  int(m.opts.longestLifetime() / time.Second),
				Logger:   m.log,
			}
		},
		Tokens: func(header string) seam.Carrier { return newTokenCarrier(header) },
		Attach: func(sc seam.Scope[*Manager, Session], r *http.Request) *http.Request {
			return sc.(*requestScope).attach(r)
		},
		CheckValue: func(m *Manager, key string, value any) error {
			_, err := m.checkValue(key, value)
			return err
		},
	})
}

var _ seam.Scope[*Manager, Session] = (*requestScope)(nil)
