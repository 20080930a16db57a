package events

import "testing"

func TestAutomaticActorsAreNotHuman(t *testing.T) {
	for actor, want := range map[string]bool{
		RulesActor("v1"):  false,
		ReportsActor(3):   false,
		"reports@3":       false,
		"moderator:alice": true,
		"admin-token":     true,
		"reports":         true, // no '@': not the reports actor
		"rules":           true,
	} {
		if got := IsHuman(actor); got != want {
			t.Errorf("IsHuman(%q) = %v, want %v", actor, got, want)
		}
	}
}
