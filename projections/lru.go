package projections

import "container/list"

// lru is a map bounded by a cost (entries, or comments they hold): adding
// beyond it drops the least recently used entries. Not safe for
// concurrent use; its owner locks.
type lru[K comparable, V any] struct {
	max, cost int
	order     *list.List // front: most recently used
	items     map[K]*list.Element
	costOf    func(V) int
}

type lruItem[K comparable, V any] struct {
	key  K
	val  V
	cost int
}

// newLRU bounds the total cost at max; costOf nil counts each entry 1.
func newLRU[K comparable, V any](max int, costOf func(V) int) *lru[K, V] {
	if costOf == nil {
		costOf = func(V) int { return 1 }
	}
	return &lru[K, V]{max: max, order: list.New(), items: make(map[K]*list.Element), costOf: costOf}
}

func (l *lru[K, V]) get(k K) (V, bool) {
	el, ok := l.items[k]
	if !ok {
		var zero V
		return zero, false
	}
	l.order.MoveToFront(el)
	return el.Value.(*lruItem[K, V]).val, true
}

// peek returns an entry without making it recent.
func (l *lru[K, V]) peek(k K) (V, bool) {
	el, ok := l.items[k]
	if !ok {
		var zero V
		return zero, false
	}
	return el.Value.(*lruItem[K, V]).val, true
}

// put adds or replaces k, then drops the oldest entries beyond the bound
// (never k itself).
func (l *lru[K, V]) put(k K, v V) {
	c := l.costOf(v)
	if el, ok := l.items[k]; ok {
		it := el.Value.(*lruItem[K, V])
		l.cost += c - it.cost
		it.val, it.cost = v, c
		l.order.MoveToFront(el)
	} else {
		l.items[k] = l.order.PushFront(&lruItem[K, V]{key: k, val: v, cost: c})
		l.cost += c
	}
	for l.cost > l.max && l.order.Len() > 1 {
		el := l.order.Back()
		it := el.Value.(*lruItem[K, V])
		l.order.Remove(el)
		delete(l.items, it.key)
		l.cost -= it.cost
	}
}

// recost updates k's cost after its value changed in place.
func (l *lru[K, V]) recost(k K) {
	if el, ok := l.items[k]; ok {
		l.put(k, el.Value.(*lruItem[K, V]).val)
	}
}

func (l *lru[K, V]) remove(k K) {
	if el, ok := l.items[k]; ok {
		it := el.Value.(*lruItem[K, V])
		l.order.Remove(el)
		delete(l.items, k)
		l.cost -= it.cost
	}
}

func (l *lru[K, V]) len() int { return l.order.Len() }

func (l *lru[K, V]) clear() {
	l.order.Init()
	clear(l.items)
	l.cost = 0
}
