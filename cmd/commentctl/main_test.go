package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCtl(t *testing.T, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	err = run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return out.String(), errb.String(), err
}

func TestRulesCheck(t *testing.T) {
	out, _, err := runCtl(t, "A fine comment.\nwhat the f u c k\nsee www.example.com\n", "rules", "check")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	want := []struct {
		action string
		rules  string
		match  string
	}{
		{"approve", "", ""},
		{"reject", "obscenity", "f u c k"},
		{"hold", "links", "www.example.com"},
	}
	if len(lines) != len(want) {
		t.Fatalf("got %d lines, want %d:\n%s", len(lines), len(want), out)
	}
	for i, l := range lines {
		var got struct {
			Action   string   `json:"action"`
			Rules    []string `json:"rules"`
			Evidence []struct {
				Rule  string `json:"rule"`
				Start int    `json:"start"`
				End   int    `json:"end"`
				Match string `json:"match"`
			} `json:"evidence"`
		}
		if err := json.Unmarshal([]byte(l), &got); err != nil {
			t.Fatalf("line %d: %v: %s", i, err, l)
		}
		match := ""
		if len(got.Evidence) > 0 {
			match = got.Evidence[0].Match
		}
		if got.Action != want[i].action || strings.Join(got.Rules, ",") != want[i].rules || match != want[i].match {
			t.Errorf("line %d = %s, want %+v", i, l, want[i])
		}
		if got.Rules == nil || got.Evidence == nil {
			t.Errorf("line %d: rules and evidence must be lists, even empty: %s", i, l)
		}
	}
}

func TestRulesCheckWithFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "r.yaml")
	os.WriteFile(path, []byte("rules:\n  - id: cats\n    action: hold\n    reason: cats\n    if: {words: [cat]}\n"), 0o644)
	out, _, err := runCtl(t, "a cat\nfuck\nкотик, a cat\n", "rules", "check", "--rules", path)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"action":"hold","reason":"cats","rules":["cats"],"evidence":[{"rule":"cats","start":2,"end":5,"match":"cat","lang":"en"}],"languages":["en"]}` + "\n" +
		`{"action":"approve","rules":[],"evidence":[],"languages":["en"]}` + "\n" +
		`{"action":"hold","reason":"cats","rules":["cats"],"evidence":[{"rule":"cats","start":14,"end":17,"match":"cat","lang":"en"}],"languages":["ru","en"]}` + "\n"
	if out != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
}

func TestRulesValidate(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	os.WriteFile(good, []byte("rules:\n  - id: a\n    action: hold\n    if: {links: 1}\n"), 0o644)
	out, _, err := runCtl(t, "", "rules", "validate", good)
	if err != nil || !strings.Contains(out, "good.yaml: valid, version ") {
		t.Errorf("validate good file: %q, %v", out, err)
	}
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("rules:\n  - id: a\n    action: smite\n    if: {regex: '('}\n"), 0o644)
	_, _, err = runCtl(t, "", "rules", "validate", bad)
	if err == nil || !strings.Contains(err.Error(), `bad.yaml:3: rule "a": action "smite"`) || !strings.Contains(err.Error(), `bad.yaml:4: rule "a": regex:`) {
		t.Errorf("validate bad file: %v, want both problems with lines", err)
	}
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"nope"}, {"rules"}, {"rules", "nope"}, {"rules", "validate"}, {"rules", "check", "extra"}} {
		if _, stderr, err := runCtl(t, "", args...); !errors.Is(err, errUsage) || stderr == "" {
			t.Errorf("commentctl %q: err %v, stderr %q; want usage", args, err, stderr)
		}
	}
}
