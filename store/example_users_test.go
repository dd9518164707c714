package store_test

import (
	"context"
	"fmt"
	"time"

	"github.com/sessionkit/session/store"
)

// A user signed in on two devices lists their sessions, oldest first, and
// ends the one on the laptop by its masked ID, the only name of a session
// that is safe to show.
func ExampleStore_UserSessions() {
	ctx := context.Background()
	s := store.NewMemory()
	start := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	ids := map[string]string{
		"laptop": "Xq0rJ8v2bW5yTn4kLp7cHs1dFg3mZa6eUi9oRt2wQyE",
		"phone":  "b7KfP1sN4xVq8LzC3mHj6RtW0yGd5EaUo2iYk9nQ_Ms",
	}
	for i, device := range []string{"laptop", "phone"} {
		at := start.Add(time.Duration(i) * time.Hour)
		rec := store.Record{Values: map[string]any{"device": device}, Created: at, Accessed: at, Idle: 24 * time.Hour}
		if err := s.Create(ctx, ids[device], rec); err != nil {
			panic(err)
		}
		if err := s.SetUser(ctx, ids[device], "ada@example.com"); err != nil {
			panic(err)
		}
	}

	now := start.Add(2 * time.Hour)
	sessions, err := s.UserSessions(ctx, "ada@example.com", now)
	if err != nil {
		panic(err)
	}
	for _, x := range sessions {
		fmt.Println(x.MaskedID, x.Record.Values["device"], x.Record.Created.Format(time.Kitchen))
	}

	rec, deleted, err := s.DeleteUserSession(ctx, "ada@example.com", sessions[0].MaskedID)
	if err != nil {
		panic(err)
	}
	fmt.Println("deleted:", deleted, rec.Values["device"], "of", rec.User)
	left, _ := s.UserSessions(ctx, "ada@example.com", now)
	fmt.Println("left:", len(left))
	// Output:
	// F8w1xYEHPGob laptop 3:04AM
	// gNgyhDDtRw_9 phone 4:04AM
	// deleted: true laptop of ada@example.com
	// left: 1
}
