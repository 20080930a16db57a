package moderation

// automaton is an Aho–Corasick machine over stream symbols: one pass over a
// comment finds every listed word of every list in the rule set, so the cost
// of a comment does not grow with the number of words or rules.
type automaton struct {
	class [256]uint8 // byte -> column; 0 for every byte no pattern uses
	ncls  int32
	delta []int32 // state*ncls + column -> next state (failure links folded in)
	first []int32 // state -> start of its matches in outs; first[state+1] is the end
	outs  []int32 // pattern indexes, for every state, including suffix matches
}

// newAutomaton builds the machine for pats; a match reports the index of
// the pattern in pats.
func newAutomaton(pats [][]byte) *automaton {
	a := &automaton{ncls: 1}
	for _, p := range pats {
		for _, b := range p {
			if a.class[b] == 0 {
				a.class[b] = uint8(a.ncls)
				a.ncls++
			}
		}
	}
	// Trie, with -1 for a missing edge.
	n := a.ncls
	next := make([]int32, n)
	for i := range next {
		next[i] = -1
	}
	own := [][]int32{nil}
	for pi, p := range pats {
		st := int32(0)
		for _, b := range p {
			c := int32(a.class[b])
			if next[st*n+c] < 0 {
				next[st*n+c] = int32(len(own))
				own = append(own, nil)
				for range n {
					next = append(next, -1)
				}
			}
			st = next[st*n+c]
		}
		own[st] = append(own[st], int32(pi))
	}
	states := int32(len(own))
	fail := make([]int32, states)
	out := make([][]int32, states)
	queue := make([]int32, 0, states)
	for c := range n {
		if s := next[c]; s < 0 {
			next[c] = 0
		} else {
			fail[s] = 0
			queue = append(queue, s)
		}
	}
	out[0] = own[0]
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		out[s] = append(append([]int32(nil), own[s]...), out[fail[s]]...)
		for c := range n {
			t := next[s*n+c]
			if t < 0 {
				next[s*n+c] = next[fail[s]*n+c]
				continue
			}
			fail[t] = next[fail[s]*n+c]
			queue = append(queue, t)
		}
	}
	a.delta = next
	a.first = make([]int32, states+1)
	for s := range states {
		a.first[s] = int32(len(a.outs))
		a.outs = append(a.outs, out[s]...)
	}
	a.first[states] = int32(len(a.outs))
	return a
}
