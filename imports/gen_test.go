package imports_test

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"time"
)

// words are what generated comments are written with.
var words = strings.Fields(`the council vote on the new bridge was closer than anyone expected and
I think the mayor should explain why the budget doubled since last spring; my street has waited
three years for a crossing while the stadium got everything it asked for. Great reporting as usual,
though the chart in the second half is hard to read on a phone. Does anyone know whether the
hearing on Thursday is open to the public? I was there in 2019 and it was standing room only`)

// genDisqus writes a Disqus export of n comments as Disqus writes them
// (a category, the threads, then the posts, each with the author's
// email, address and flags): one thread per 40 comments, about one in
// three a reply to an earlier comment of its thread (some several
// levels deep), texts of one to eight sentences with some HTML, 3% deleted,
// 1% spam, 2% awaiting approval, authors from a pool of n/8 readers.
// About 1 KB a comment: a million make a file of about 1 GB.
func genDisqus(w io.Writer, n int, seed uint64) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	r := rand.New(rand.NewPCG(seed, 1))
	fmt.Fprint(bw, `<?xml version="1.0" encoding="utf-8"?>
<disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://disqus.com/api/schemas/1.0/disqus.xsd http://disqus.com/api/schemas/1.0/disqus-internals.xsd">
  <category dsq:id="1">
    <forum>bench</forum>
    <title>General</title>
    <isDefault>true</isDefault>
  </category>
`)
	const perThread = 40
	threads := (n + perThread - 1) / perThread
	start := time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC)
	for t := range threads {
		fmt.Fprintf(bw, `  <thread dsq:id="%d">
    <id>%d https://news.example/?p=%d</id>
    <forum>bench</forum>
    <category dsq:id="1" />
    <link>https://news.example/%d/story-number-%d/</link>
    <title>Story number %d</title>
    <message />
    <createdAt>%s</createdAt>
    <author>
      <email>desk@news.example</email>
      <name>Desk</name>
      <isAnonymous>false</isAnonymous>
      <username>desk</username>
    </author>
    <ipAddress>203.0.113.1</ipAddress>
    <isClosed>false</isClosed>
    <isDeleted>false</isDeleted>
  </thread>
`, 1_000_000+t, 1_000_000+t, t, 2019+t%6, t, t, start.Add(time.Duration(t)*time.Hour).Format(time.RFC3339))
	}
	readers := max(n/8, 1)
	for i := range n {
		t := i % threads // comments of a thread are spread over the file
		parent := ""
		if i >= threads && r.IntN(3) == 0 {
			// An earlier comment of the same thread: the previous one
			// often (a conversation), else any.
			back := 1
			if k := i / threads; k > 1 && r.IntN(2) == 0 {
				back = 1 + r.IntN(k)
			}
			parent = fmt.Sprintf(`
    <parent dsq:id="%d" />`, 5_000_000+i-back*threads)
		}
		var text strings.Builder
		for s := range 1 + r.IntN(8) {
			if s > 0 && r.IntN(3) == 0 {
				text.WriteString("</p><p>")
			} else if s > 0 {
				text.WriteString(" ")
			}
			m := 6 + r.IntN(14)
			for j := range m {
				if j > 0 {
					text.WriteByte(' ')
				}
				wd := words[r.IntN(len(words))]
				if r.IntN(40) == 0 {
					wd = "<b>" + wd + "</b>"
				}
				text.WriteString(wd)
			}
			text.WriteString(".")
		}
		if r.IntN(20) == 0 {
			text.WriteString(` See <a href="https://example.org/a?b=1&amp;c=2">this</a> &amp; that.`)
		}
		deleted, spam, approved := r.IntN(100) < 3, r.IntN(100) < 1, r.IntN(100) >= 2
		reader := r.IntN(readers)
		anon := reader%5 == 0
		fmt.Fprintf(bw, `  <post dsq:id="%d">
    <id />
    <message><![CDATA[<p>%s</p>]]></message>
    <createdAt>%s</createdAt>
    <isDeleted>%t</isDeleted>
    <isSpam>%t</isSpam>
    <isApproved>%t</isApproved>
    <author>
      <email>reader%d@mail.example</email>
      <name>Reader %d</name>
      <isAnonymous>%t</isAnonymous>
      <username>reader%d</username>
    </author>
    <ipAddress>198.51.%d.%d</ipAddress>
    <thread dsq:id="%d" />%s
  </post>
`, 5_000_000+i, text.String(), start.Add(time.Duration(t)*time.Hour+time.Duration(i)*time.Second).Format(time.RFC3339),
			deleted, spam, approved, reader, reader, anon, reader, reader%250, reader%200, 1_000_000+t, parent)
	}
	fmt.Fprint(bw, "</disqus>\n")
	return bw.Flush()
}
