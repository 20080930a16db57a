//go:build !unix

package embedded

// lockDir is a no-op where flock does not exist.
func lockDir(string) (func(), error) { return func() {}, nil }
