package tokenizer

// The bigram merge loop shared by SentencePiece (merge by score) and BPE
// (merge by rank): llama.cpp's llm_tokenizer_spm_session and
// llm_tokenizer_bpe_session run the same loop with a different priority.
//
// The text starts as one symbol per UTF-8 character. Every adjacent pair the
// vocabulary can merge is queued with its priority; the best pair (ties: the
// leftmost) is merged, which queues the new symbol's pairs with its
// neighbours, until no pair is left. A heap makes this O(n log n).

// symbol is a run of bytes text[start:start+size] of the text being merged.
type symbol struct {
	start, size int // size is 0 once the symbol was merged into its left neighbour
	prev, next  int // neighbours in the chain, -1 at the ends
}

// bigram is a queued pair of adjacent symbols.
type bigram struct {
	left, right int
	priority    float64 // higher merges first
	size        int     // bytes of the pair when queued
}

// pairPriority says whether two adjacent symbols merge and how urgently.
// pair holds both symbols' bytes, the left one is pair[:split].
type pairPriority func(pair []byte, split int) (priority float64, ok bool)

// merger holds the scratch space of merges, reused from one text to the next.
type merger struct {
	priority pairPriority
	text     []byte
	symbols  []symbol
	queue    []bigram // binary heap, best first
}

// merge splits text into characters and merges them. The result is the
// chain from first() along symbols[i].next (symbol 0 never merges away:
// merges always fold the right symbol into the left one).
func (m *merger) merge(text []byte) {
	m.text = text
	m.symbols, m.queue = m.symbols[:0], m.queue[:0]
	for start := 0; start < len(text); {
		size := min(utf8SeqLen(text[start]), len(text)-start)
		m.symbols = append(m.symbols, symbol{start: start, size: size, prev: len(m.symbols) - 1, next: len(m.symbols) + 1})
		start += size
	}
	if len(m.symbols) == 0 {
		return
	}
	m.symbols[len(m.symbols)-1].next = -1
	for i := 1; i < len(m.symbols); i++ {
		m.tryPair(i-1, i)
	}
	for len(m.queue) > 0 {
		b := m.pop()
		left, right := &m.symbols[b.left], &m.symbols[b.right]
		// A pair queued before one of its symbols changed is stale: the
		// symbols' sizes no longer add up to the queued size.
		if left.size == 0 || right.size == 0 || left.size+right.size != b.size {
			continue
		}
		left.size += right.size
		right.size = 0
		left.next = right.next
		if right.next >= 0 {
			m.symbols[right.next].prev = b.left
		}
		m.tryPair(left.prev, b.left)
		m.tryPair(b.left, left.next)
	}
}

// first is the index of the first symbol of the chain, -1 if there is none.
func (m *merger) first() int {
	if len(m.symbols) == 0 {
		return -1
	}
	return 0
}

// bytes returns the text of symbol i.
func (m *merger) bytes(i int) []byte {
	s := m.symbols[i]
	return m.text[s.start : s.start+s.size]
}

// tryPair queues the pair (left, right) if the vocabulary merges it.
func (m *merger) tryPair(left, right int) {
	if left < 0 || right < 0 {
		return
	}
	l, r := m.symbols[left], m.symbols[right]
	pair := m.text[l.start : r.start+r.size]
	p, ok := m.priority(pair, l.size)
	if !ok {
		return
	}
	m.push(bigram{left: left, right: right, priority: p, size: len(pair)})
}

// before orders the queue like llama.cpp's comparators: higher priority
// first, then the leftmost pair.
func before(a, b bigram) bool {
	if a.priority != b.priority {
		return a.priority > b.priority
	}
	return a.left < b.left
}

func (m *merger) push(b bigram) {
	q := append(m.queue, b)
	for i := len(q) - 1; i > 0; {
		parent := (i - 1) / 2
		if !before(q[i], q[parent]) {
			break
		}
		q[i], q[parent] = q[parent], q[i]
		i = parent
	}
	m.queue = q
}

func (m *merger) pop() bigram {
	q := m.queue
	top := q[0]
	last := len(q) - 1
	q[0] = q[last]
	q = q[:last]
	for i := 0; ; {
		best, l, r := i, 2*i+1, 2*i+2
		if l < len(q) && before(q[l], q[best]) {
			best = l
		}
		if r < len(q) && before(q[r], q[best]) {
			best = r
		}
		if best == i {
			break
		}
		q[i], q[best] = q[best], q[i]
		i = best
	}
	m.queue = q
	return top
}

// wordMemo remembers the tokens of the words one Encode call has merged:
// texts repeat their words, and a word's tokens do not depend on what
// surrounds it.
type wordMemo struct {
	spans map[string][2]int // word → span of its tokens in ids
	ids   []int32
}

func (m *wordMemo) lookup(word []byte) ([]int32, bool) {
	span, ok := m.spans[string(word)]
	return m.ids[span[0]:span[1]], ok
}

func (m *wordMemo) store(word []byte, tokens []int32) {
	if m.spans == nil {
		m.spans = map[string][2]int{}
	}
	m.spans[string(word)] = [2]int{len(m.ids), len(m.ids) + len(tokens)}
	m.ids = append(m.ids, tokens...)
}
