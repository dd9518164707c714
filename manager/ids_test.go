package manager_test

// Session IDs: how they are made, where they are read from, and which ones
// reach a store; a malformed cookie never does (SECURITY.md, requirements
// 1, 2, 3, 8 and 9). The tests whose
// outcome rests on the store are in internal/testkit/managertest, run here on
// the memory store and by internal/e2e on Redis.

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/internal/testkit"
	"github.com/sessionkit/session/internal/testkit/managertest"
	"github.com/sessionkit/session/manager"
)

// Requirement 1: IDs are 32 bytes from crypto/rand, and a failing source is
// an error, never a weak ID.
func TestSecurityIDEntropy(t *testing.T) {
	t.Run("the default source is crypto/rand", func(t *testing.T) {
		env := testkit.NewEnv(t, manager.Options{}, nil)
		assert.True(t, env.M.Options().Rand == rand.Reader, "Options.Rand defaults to %T", env.M.Options().Rand)
	})

	t.Run("an ID is one 32-byte read, unchanged", func(t *testing.T) {
		source := &testkit.IDRecorder{}
		env := testkit.NewEnv(t, manager.Options{Rand: source}, nil)
		var ids []string
		for range 100 {
			s, _ := env.Create(t)
			ids = append(ids, s.GetId())
		}
		for i, read := range source.Issued() {
			raw, err := base64.RawURLEncoding.DecodeString(read)
			require.NoError(t, err)
			require.Len(t, raw, 32, "read %d: the manager reads 32 bytes per ID", i)
		}
		assert.Equal(t, source.Issued(), ids, "each ID is the base64url form of exactly one read")
	})

	t.Run("every bit varies", func(t *testing.T) {
		// A constant bit would show a lost byte or a masked-off range; with
		// 256 random IDs a sound generator leaves none (chance 2^-250).
		env := testkit.NewEnv(t, manager.Options{}, nil)
		var ones, zeros [32]byte
		for range 256 {
			s, _ := env.Create(t)
			raw, err := base64.RawURLEncoding.DecodeString(s.GetId())
			require.NoError(t, err)
			for i, b := range raw {
				ones[i] |= b
				zeros[i] |= ^b
			}
		}
		for i := range 32 {
			assert.Equalf(t, byte(0xFF), ones[i], "byte %d: some bit is never 1", i)
			assert.Equalf(t, byte(0xFF), zeros[i], "byte %d: some bit is never 0", i)
		}
	})

	t.Run("renewal with a failing source keeps the old ID and sends nothing", func(t *testing.T) {
		source := &testkit.IDRecorder{}
		env := testkit.NewEnv(t, manager.Options{Rand: source}, nil)
		s, ck := env.Create(t)
		source.Fail.Store(true)

		rec := httptest.NewRecorder()
		renewed, err := env.M.RenewSession(testkit.RequestWith(ck), rec)
		require.ErrorIs(t, err, manager.ErrRandom)
		assert.ErrorIs(t, err, testkit.ErrEntropy)
		assert.Nil(t, renewed)
		assert.Empty(t, rec.Header().Values("Set-Cookie"))
		assert.NotNil(t, env.M.GetSessionById(s.GetId()), "a failed renewal lost the session")
		assert.Equal(t, 1, env.M.GetSessionSize())
	})

	t.Run("creation through the middleware with a failing source", func(t *testing.T) {
		source := &testkit.IDRecorder{}
		source.Fail.Store(true)
		env := testkit.NewEnv(t, manager.Options{Rand: source}, nil)
		rec := testkit.Send(testkit.App(env.M), http.MethodPost, "/create")
		assert.Equal(t, http.StatusInternalServerError, rec.Code)
		assert.Empty(t, rec.Header().Values("Set-Cookie"))
		assert.Zero(t, env.M.GetSessionSize())
		assert.Zero(t, env.Events.CountKind(manager.Created))
	})
}

// Requirement 8: the session ID is read from the session cookie only:
// never from the URL, a form, another header or another cookie.
func TestSecurityIDOnlyFromCookie(t *testing.T) {
	env := testkit.NewEnv(t, manager.Options{}, nil)
	_, live := env.Create(t)
	id := live.Value
	name := manager.DefaultCookieName

	var sawSession bool
	var formValue string
	h := env.M.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sawSession = env.M.GetSession(r) != nil
		formValue = r.FormValue(name) // the body is still the handler's to read
	}))

	tests := []struct {
		name     string
		request  func() *http.Request
		formSeen bool // the handler finds the ID in its form: the body was not consumed
	}{
		{name: "query", request: func() *http.Request {
			return httptest.NewRequest(http.MethodGet, "/?"+url.Values{name: {id}}.Encode(), nil)
		}, formSeen: true},
		{name: "query, other names", request: func() *http.Request {
			return httptest.NewRequest(http.MethodGet, "/?"+url.Values{"sessionid": {id}, "session": {id}, "sid": {id}, "id": {id}}.Encode(), nil)
		}},
		{name: "path parameter (URL rewriting)", request: func() *http.Request {
			return httptest.NewRequest(http.MethodGet, "/page;"+name+"="+id, nil)
		}},
		{name: "path segment", request: func() *http.Request {
			return httptest.NewRequest(http.MethodGet, "/"+id, nil)
		}},
		{name: "urlencoded form", request: func() *http.Request {
			r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(url.Values{name: {id}}.Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return r
		}, formSeen: true},
		{name: "multipart form", request: func() *http.Request {
			body, contentType := testkit.MultipartBody(t, name, id)
			r := httptest.NewRequest(http.MethodPost, "/", body)
			r.Header.Set("Content-Type", contentType)
			return r
		}, formSeen: true},
		{name: "headers", request: func() *http.Request {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.Header.Set("Authorization", "Bearer "+id)
			r.Header.Set(name, id)
			r.Header.Set("X-Session-Id", id)
			r.Header.Set("Cookie2", name+"="+id)
			r.Header.Set("Set-Cookie", name+"="+id)
			return r
		}},
		{name: "other cookies", request: func() *http.Request {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.Header.Set("Cookie", "Session-Key="+id+"; x"+name+"="+id+"; "+name+"x="+id+"; sid="+id)
			return r
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, tt.request())
			assert.Equal(t, http.StatusOK, rec.Code)
			assert.False(t, sawSession, "the ID was taken from outside the cookie")
			assert.Empty(t, rec.Header().Values("Set-Cookie"))
			if tt.formSeen {
				assert.Equal(t, id, formValue)
			}
		})
	}

	t.Run("control: the cookie", func(t *testing.T) {
		h.ServeHTTP(httptest.NewRecorder(), testkit.RequestWith(live))
		assert.True(t, sawSession)
	})
}

func TestSecurityStrictModeCreatesNothing(t *testing.T) {
	managertest.SecurityStrictModeCreatesNothing(t, managertest.Memory)
}
func TestSecurityStrictModeExpiredIDNotAdopted(t *testing.T) {
	managertest.SecurityStrictModeExpiredIDNotAdopted(t, managertest.Memory)
}
func TestSecurityIDCheckedBeforeStore(t *testing.T) {
	managertest.SecurityIDCheckedBeforeStore(t, managertest.Memory)
}
func TestSecurityOversizedCookieRefusedBeforeDecoding(t *testing.T) {
	managertest.SecurityOversizedCookieRefusedBeforeDecoding(t, managertest.Memory)
}

func TestBadCookiesNeverReachTheStore(t *testing.T) {
	st := testkit.NewFaultyStore()
	env := testkit.NewEnv(t, manager.Options{Store: st}, nil)
	_, ck := env.Create(t)
	live := ck.Value

	tests := []struct {
		name  string
		value string
		loads int64 // store loads the cookie may cause
	}{
		{name: "truncated", value: live[:42]},
		{name: "44 chars", value: live + "A"},
		{name: "wrong alphabet", value: "+" + live[1:21] + "/" + live[22:]},
		{name: "padded", value: live[:42] + "="},
		{name: "non-canonical", value: strings.Repeat("A", 42) + "B"},
		{name: "oversized", value: strings.Repeat("A", 5000)},
		{name: "empty", value: ""},
		// Controls: well-formed IDs do reach the store.
		{name: "unknown well-formed ID", value: testkit.ValidID(9), loads: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sawSession bool
			var handlerRan bool
			h := env.M.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				handlerRan = true
				sawSession = env.M.GetSession(r) != nil
			}))
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.Header.Set("Cookie", manager.DefaultCookieName+"="+tt.value)
			rec := httptest.NewRecorder()
			before := st.Loads()
			h.ServeHTTP(rec, r)

			assert.Equal(t, http.StatusOK, rec.Code)
			assert.True(t, handlerRan)
			assert.False(t, sawSession)
			assert.Equal(t, tt.loads, st.Loads()-before, "store loads")
			assert.Empty(t, rec.Header().Values("Set-Cookie"), "a bad cookie is ignored, not answered")
			if tt.value != "" {
				assert.NotContains(t, env.Logs.String(), tt.value, "a log line holds the raw cookie")
			}
		})
	}

	t.Run("control: the live cookie finds its session", func(t *testing.T) {
		var sawSession bool
		h := env.M.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			sawSession = env.M.GetSession(r) != nil
		}))
		before := st.Loads()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, testkit.RequestWith(ck))
		require.Equal(t, http.StatusOK, rec.Code)
		assert.True(t, sawSession)
		assert.Equal(t, int64(1), st.Loads()-before)
	})
}

func TestCreatedIDs(t *testing.T) {
	env := testkit.NewEnv(t, manager.Options{}, nil)
	seen := map[string]bool{}
	for range 50 {
		s, _ := env.Create(t)
		id := s.GetId()
		require.Len(t, id, manager.IDLength)
		require.Len(t, id, 43)
		raw, err := base64.RawURLEncoding.Strict().DecodeString(id)
		require.NoError(t, err, "ID is not canonical base64url")
		require.Len(t, raw, 32)
		require.True(t, manager.IsValidID(id))
		require.False(t, seen[id], "ID issued twice")
		seen[id] = true
	}
	assert.Equal(t, 50, env.M.GetSessionSize())
}

func TestIsValidID(t *testing.T) {
	valid := testkit.ValidID(0)
	tests := []struct {
		name string
		id   string
		want bool
	}{
		{name: "empty", id: "", want: false},
		{name: "42 chars", id: valid[:42], want: false},
		{name: "44 chars", id: valid + "A", want: false},
		{name: "plus", id: "+" + valid[1:], want: false},
		{name: "slash", id: valid[:10] + "/" + valid[11:], want: false},
		{name: "padding", id: valid[:42] + "=", want: false},
		{name: "space", id: valid[:20] + " " + valid[21:], want: false},
		{name: "non-ASCII", id: valid[:41] + "é", want: false},
		{name: "non-canonical last char B", id: strings.Repeat("A", 42) + "B", want: false},
		{name: "non-canonical last char _", id: strings.Repeat("A", 42) + "_", want: false},
		{name: "all zero bytes", id: valid, want: true},
		{name: "all 0xFF bytes", id: testkit.ValidID(0xFF), want: true},
		{name: "canonical last char E", id: strings.Repeat("A", 42) + "E", want: true},
		{name: "dash and underscore", id: "-_" + valid[2:], want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, manager.IsValidID(tt.id))
		})
	}
}

// errReader fails every read.
type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// shortReader returns a few bytes per read, then EOF after n bytes in all.
type shortReader struct{ left int }

func (r *shortReader) Read(p []byte) (int, error) {
	if r.left == 0 {
		return 0, io.EOF
	}
	n := min(len(p), r.left, 5)
	for i := range n {
		p[i] = 0x42
	}
	r.left -= n
	return n, nil
}

func TestFailingRandomSource(t *testing.T) {
	errBroken := errors.New("entropy pool on fire")
	tests := []struct {
		name  string
		rand  io.Reader
		cause error
	}{
		{name: "read error", rand: errReader{errBroken}, cause: errBroken},
		{name: "short reads then EOF", rand: &shortReader{left: 20}, cause: io.ErrUnexpectedEOF},
		{name: "immediate EOF", rand: &shortReader{left: 0}, cause: io.EOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := testkit.NewEnv(t, manager.Options{Rand: tt.rand}, nil)
			rec := httptest.NewRecorder()
			s, err := env.M.CreateSession(httptest.NewRequest(http.MethodGet, "/", nil), rec)
			require.ErrorIs(t, err, manager.ErrRandom)
			assert.ErrorIs(t, err, tt.cause)
			assertNothingCreated(t, env, s, rec)
		})
	}
}

func TestCookieValueAgreesWithNetHTTP(t *testing.T) {
	tests := []struct {
		name    string
		headers []string
	}{
		{"absent", nil},
		{"alone", []string{"sid=abc"}},
		{"among others", []string{"a=1; sid=abc; b=2"}},
		{"no spaces", []string{"a=1;sid=abc;b=2"}},
		{"quoted", []string{`sid="abc"`}},
		{"first of two", []string{"sid=first; sid=second"}},
		{"in a second header line", []string{"a=1", "sid=abc"}},
		{"name as a prefix only", []string{"sidx=1; xsid=2"}},
		{"empty value", []string{"sid="}},
		{"no value", []string{"sid"}},
		{"trailing semicolon", []string{"sid=abc;"}},
		// Found by FuzzCookieValue: net/http skips a cookie whose value
		// holds a byte no cookie value may hold, and trims the name.
		{"lone double quote", []string{`sid="`}},
		{"NUL in the value", []string{"sid=a\x00b"}},
		{"non-UTF-8 value", []string{"sid=\xff\xfe"}},
		{"backslash in the value", []string{`sid=a\b`}},
		{"quote inside the value", []string{`sid=a"b`}},
		{"invalid first, valid second", []string{"sid=\x01; sid=abc"}},
		{"invalid in the first line, valid in the second", []string{`sid=a"b`, "sid=abc"}},
		{"spaces around the name", []string{" sid =abc"}},
		{"tab before the equals sign", []string{"sid\t=abc"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			for _, h := range tt.headers {
				r.Header.Add("Cookie", h)
			}
			got, found := manager.CookieValue(r, "sid")
			want, err := r.Cookie("sid")
			assert.Equal(t, err == nil, found, "found")
			if err == nil {
				assert.Equal(t, want.Value, got)
			}
		})
	}
}
