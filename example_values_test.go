package session_test

import (
	"encoding/json"
	"fmt"

	session "github.com/sessionkit/session"
)

// Read a value as the type you stored, without a type switch and without
// panicking when it holds something else. A number the Redis store's JSON
// codec gave back as a float64 still reads as an int when it is one.
func ExampleValue() {
	s := session.NewSession("example", 0)
	_ = s.Set("user", "alice")
	var fromJSON map[string]any
	_ = json.Unmarshal([]byte(`{"visits": 3, "ratio": 0.5}`), &fromJSON)
	_ = s.Set("visits", fromJSON["visits"]) // a float64 now
	_ = s.Set("ratio", fromJSON["ratio"])

	user, ok := session.Value[string](s, "user")
	fmt.Println(user, ok)
	visits, ok := session.Value[int](s, "visits")
	fmt.Println(visits, ok)
	ratio, ok := session.Value[int](s, "ratio") // not a whole number
	fmt.Println(ratio, ok)
	_, ok = session.Value[int](s, "user") // a string, not an int
	fmt.Println(ok)
	// Output:
	// alice true
	// 3 true
	// 0 false
	// false
}

// Leave a message for the next page, and read it once.
func ExampleFlashes() {
	s := session.NewSession("example", 0)
	_ = session.AddFlash(s, "profile saved")

	first, _ := session.Flashes(s)
	again, _ := session.Flashes(s)
	fmt.Println(first, len(again))
	// Output:
	// [profile saved] 0
}
