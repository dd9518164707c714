package main

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxUserName bounds the user name so that a session cannot be made to hold
// an arbitrarily large value.
const maxUserName = 64

// userName checks the name typed into the login form and returns it trimmed.
// problem is "" when the name is fine; otherwise it is a sentence for the
// user, which the form shows as it is (hence a string, not an error).
func userName(raw string) (name, problem string) {
	name = strings.TrimSpace(raw)
	switch {
	case name == "":
		return "", "Please enter a user name."
	case utf8.RuneCountInString(name) > maxUserName:
		return "", "The user name must be at most 64 characters long."
	case !utf8.ValidString(name) || strings.IndexFunc(name, unicode.IsControl) >= 0:
		// Control characters show as nothing or break lines, so two
		// different users could look alike on the page.
		return "", "The user name must not contain control characters."
	}
	return name, ""
}
