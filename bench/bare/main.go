// Command bare is the reference of the load tests: a net/http server that
// reads the request body and answers 1 KB, or the body of a file given with
// --body (to answer the same bytes as a GET of commentd).
package main

import (
	"bytes"
	"flag"
	"io"
	"log"
	"net/http"
	"os"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8090", "listen address")
	bodyFile := flag.String("body", "", "answer this file's bytes instead of 1 KB")
	flag.Parse()
	body := bytes.Repeat([]byte("x"), 1024)
	if *bodyFile != "" {
		var err error
		if body, err = os.ReadFile(*bodyFile); err != nil {
			log.Fatal(err)
		}
	}
	log.Fatal(http.ListenAndServe(*addr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Write(body)
	})))
}
