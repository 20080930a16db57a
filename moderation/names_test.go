package moderation

import "testing"

// Places and people whose names contain a listed word are approved; the
// word alone, or beside other words, is still caught, so the allowlist
// opens no hole.
func TestNamesAllowed(t *testing.T) {
	rs := DefaultRuleset()
	for _, text := range []string{
		"We drove to Dildo, Newfoundland, last summer.",
		"Dildo, NL is a town on Trinity Bay.",
		"The town of Dildo voted to keep its name.",
		"Coon Rapids, Minnesota, is a suburb of Minneapolis.",
		"Shitlington is a village near Wakefield.",
		"Sheila Dikshit was chief minister of Delhi.",
		"Fucking, Austria, renamed itself Fugging in 2021.",
		"The village of Fucking in Austria kept losing its signs.",
		"Senator Dick Lugar and Dick Gephardt spoke.",
		"Dick Schoof became prime minister of the Netherlands.",
		"Birders call it jizz: the general impression of size and shape.",
		"You learn a bird's jizz by watching it for years.",
	} {
		if v := rs.Evaluate(Input{Text: text}); v.Action != Approve {
			t.Errorf("%q: %v by %v %+v, want approve", text, v.Action, v.Rules, v.Evidence)
		}
	}
	for _, text := range []string{
		"what a dildo",
		"you dildo, go to Newfoundland", // the comma reads as a gap, but "you dildo go" is no name
		"coon",
		"fucking idiot",
		"Austria is fucking great", // "fucking great", not "Fucking, Austria"
		"fuck Austria",
		"jizz everywhere",
		"Dick, you are wrong",
		"shitlington shit",
	} {
		if v := rs.Evaluate(Input{Text: text}); v.Action == Approve {
			t.Errorf("%q approved, want held or rejected", text)
		}
	}
}
