//go:build race

package moderation

// raceEnabled: the race detector slows evaluation about tenfold.
const raceEnabled = true
