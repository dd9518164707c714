package store_test

import (
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"

	"github.com/sessionkit/session/manager"
	"github.com/sessionkit/session/store"
)

// A program on the memory store that restarts without logging its users
// out: it opens the store on a file, hands it to the manager, and on
// shutdown closes the manager and then the store, which saves. (In a
// server, run the closes after http.Server.Shutdown, on SIGTERM.)
func ExampleOpenMemory() {
	dir, err := os.MkdirTemp("", "sessions")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "sessions") // written with mode 0600: it holds session IDs

	run := func(serve func(m *manager.Manager)) {
		st, err := store.OpenMemory(path)
		if err != nil {
			log.Fatal(err) // a corrupt or foreign file: nothing was loaded
		}
		m := manager.NewManager(manager.Options{Store: st, Secure: true}, nil, nil)
		serve(m)
		_ = m.Close()
		if err := st.Close(); err != nil { // saves the sessions
			log.Print(err)
		}
	}

	var cookie *http.Cookie
	run(func(m *manager.Manager) { // the first run: a user logs in
		w := httptest.NewRecorder()
		s, _ := m.CreateSession(httptest.NewRequest(http.MethodPost, "/login", nil), w)
		_ = s.Set("user", "ada")
		cookie = w.Result().Cookies()[0]
	})
	run(func(m *manager.Manager) { // after the restart: the same cookie still works
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.AddCookie(cookie)
		user, _ := m.GetSession(r).Get("user")
		fmt.Println("still logged in:", user)
	})
	// Output: still logged in: ada
}
